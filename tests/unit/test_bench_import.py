"""The member import benchmark (bench/import_members.py) on a small file: it runs the
real `kairos members import`, counts the bad rows it planted as rejected, and
`make bench import` writes its figures under `import` and prints its target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import import_members
from bench import run as bench_run


def test_the_import_stage_runs_on_a_small_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kairos.observability import logger

    # `bench.run` quietens the functions' logs for the process: put back afterwards.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.setattr(logger, "setLevel", lambda level: None)
    monkeypatch.setattr(import_members, "ROWS", 300)
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"ingest": {"events_per_s": 1.0}}))
    monkeypatch.setattr(bench_run, "RESULTS", results)
    assert bench_run.main(["import"]) == 0
    written = json.loads(results.read_text())
    assert written["ingest"] == {"events_per_s": 1.0}  # other stages' figures kept
    figures = written["import"]
    assert (figures["rows"], figures["rejected"]) == (300.0, 3.0)
    assert figures["rows_per_s"] > 0 and figures["seconds"] > 0
    assert "target import.rows_per_s >= 333.333" in capsys.readouterr().out


def test_the_export_has_bad_rows_of_each_kind(tmp_path: Path) -> None:
    source = tmp_path / "crm.csv"
    assert import_members.write_crm_export(source, 400) == 4
    lines = source.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Customer No,E-mail,Mobile")
    assert "c37-at-example.com" in lines[38] and ",0912," in lines[138]
