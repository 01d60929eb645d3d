"""The console benchmark (bench/console.py) on a small brand: every lookup it times
finds its member through the real handler, and `make bench console` writes its figures
under `console` beside the browser's, printing its targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import console
from bench import run as bench_run


def test_the_console_stage_runs_on_a_small_brand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kairos.observability import logger

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.setattr(logger, "setLevel", lambda level: None)
    monkeypatch.setattr(console, "MEMBERS", 300)
    monkeypatch.setattr(console, "LOOKUPS", 12)
    monkeypatch.setattr(console, "PAGE_VIEWS", 3)
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"console": {"first_load_ms": 900.0}}))
    monkeypatch.setattr(bench_run, "RESULTS", results)
    assert bench_run.main(["console"]) == 0
    written = json.loads(results.read_text())["console"]
    assert written["members"] == 300
    assert written["lookup_identifier_p95_ms"] > 0
    assert written["member_page_history_entries"] == 1000
    assert written["first_load_ms"] == 900.0  # the browser stage's figure is kept
    printed = capsys.readouterr().out
    assert "target console.member_page_p95_ms <= 100" in printed
