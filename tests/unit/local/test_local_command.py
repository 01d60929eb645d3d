"""`kairos local`'s options for the console: --simulate-until and its backend."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import pytest

from kairos_dev.cli import main
from kairos_dev.commands.local import _end_of, _until

EXAMPLES = str(Path(__file__).resolve().parents[3] / "examples")


def test_a_date_means_the_end_of_that_day_in_the_brands_zone() -> None:
    assert _until("2026-12-31") == "2026-12-31"
    assert _end_of("2026-12-31", EXAMPLES) == datetime.fromisoformat("2027-01-01T00:00:00+08:00")


def test_a_time_needs_its_offset() -> None:
    assert _until("2026-12-31T18:00:00+08:00") == datetime.fromisoformat(
        "2026-12-31T18:00:00+08:00"
    )
    with pytest.raises(argparse.ArgumentTypeError, match="needs an offset"):
        _until("2026-12-31T18:00:00")
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601"):
        _until("next friday")


def test_simulating_needs_the_memory_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", EXAMPLES, "--simulate-until", "2026-12-31"]) == 2
    assert "--simulate-until needs --backend memory" in capsys.readouterr().err
