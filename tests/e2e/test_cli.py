"""The `kairos` command line for people: version, AWS configuration errors in one line,
function logs kept out of the way, JSON on read commands, times in the brand's zone."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from kairos.observability import logger
from kairos_dev.cli import main
from kairos_dev.local.simulator import Simulation, load_events
from kairos_dev.logs import function_logs
from tests.e2e.journey_builder import BrandProject, at, follow, profile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == "kairos 0.1.0"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS configuration at all, and a fresh boto3 default session."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "KAIROS_TABLE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "no AWS region: set AWS_DEFAULT_REGION"),
        ({"AWS_DEFAULT_REGION": "ap-northeast-1"}, "no AWS credentials: run `aws configure`"),
        (
            {
                "AWS_DEFAULT_REGION": "ap-northeast-1",
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "y",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            },
            "cannot reach http://127.0.0.1:9",
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["stats", "j", "--table", "t"],
        ["members", "show", "m-1", "--table", "t"],
        ["journeys", "show", "j", "--table", "t"],
    ],
)
def test_aws_configuration_errors_are_one_line_with_the_fix(
    no_aws: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    says: str,
    command: list[str],
) -> None:
    for name, value in env.items():
        no_aws.setenv(name, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert says in err
    assert "Traceback" not in err


def test_function_logs_go_to_a_file_and_verbose_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    handler = next(h for h in logging.getLogger(logger.name).handlers)
    before = getattr(handler, "stream", None)
    with function_logs("demo") as path:
        logger.warning("event applied", extra={"event_id": "e1"})
    with function_logs("simulate", verbose=True):
        logger.warning("timer processed")
    assert path == Path(".kairos/logs/demo.jsonl")
    line = json.loads(path.read_text(encoding="utf-8"))
    assert (line["message"], line["event_id"]) == ("event applied", "e1")
    captured = capsys.readouterr()
    assert "event applied" not in captured.out + captured.err
    assert "timer processed" in captured.err
    assert "timer processed" in Path(".kairos/logs/simulate.jsonl").read_text(encoding="utf-8")
    assert getattr(handler, "stream", None) is before  # put back afterwards


def test_demo_ingest_prints_for_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    try:
        assert main(["demo", str(EXAMPLES), "--ingest"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out = capsys.readouterr().out
    assert "POST /line/webhook → 200 5 applied" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("{")]
    assert "time (Asia/Taipei)" in out
    logged = (tmp_path / ".kairos" / "logs" / "demo.jsonl").read_text(encoding="utf-8")
    assert sum(1 for line in logged.splitlines() if '"event applied"' in line) >= 10


def test_validate_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(EXAMPLES), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["valid"] is True and "edm-resend" in answer["journeys"]
    (tmp_path / "kairos.yaml").write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    assert main(["validate", str(tmp_path), "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["valid"] is False
    assert answer["problems"][0]["file"] == "kairos.yaml"


@pytest.fixture
def member_table(tmp_path: Path) -> Iterator[tuple[str, str]]:
    project = BrandProject(tmp_path)
    events = [follow("U1", "2026-03-01T10:00"), profile("U1", "2026-03-02T21:15", name="林小美")]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events), encoding="utf-8")
    saved = dict(os.environ)
    loaded = load_events(path)
    simulation = Simulation.start(str(project.root), loaded[0].time, backend="emulator")
    try:
        simulation.run(loaded, datetime.fromisoformat(at("2026-03-03T00:00")))
        yield simulation.stack.tables["main"], str(project.root)
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_members_show_times_in_the_brand_time_zone(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table, project = member_table
    capsys.readouterr()
    assert main(["members", "show", "--line", "U1", "--table", table, "--project", project]) == 0
    out = capsys.readouterr().out
    assert "time (Asia/Taipei)" in out
    assert "UTC" not in out
    # joined_at and last_interaction_at in one offset: Taipei wall clock
    assert "2026-03-01 10:00:00" in out  # joined, and the follow on the timeline
    assert "2026-03-02 21:15:00" in out  # last interaction, and the profile update
    assert "+00:00" not in out and "+08:00" not in out

    assert main(["members", "show", "--line", "U1", "--table", table, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["member"]["profile"]["name"] == "林小美"


def test_members_erase_by_identifier_then_again(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table, project = member_table
    capsys.readouterr()
    erase = ["members", "erase", "--line", "U1", "--request", "DSR-7", "--table", table]
    assert main([*erase, "--project", project, "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["status"] == "erased" and done["identifiers_tombstoned"] >= 1
    assert main(["members", "show", "--line", "U1", "--table", table]) == 1
    assert main(erase) == 0
    assert "absent (erased before)" in capsys.readouterr().out


def test_members_tag_note_list_and_show(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table, project = member_table
    assert main(["members", "show", "--line", "U1", "--table", table, "--json"]) == 0
    member_id = json.loads(capsys.readouterr().out)["member"]["member_id"]
    where = ["--table", table, "--project", project]
    assert main(["members", "tag", member_id, "回購", *where]) == 0
    assert (
        main(["members", "note", member_id, "--text", "Called back", "--author", "Mei", *where])
        == 0
    )
    assert main(["members", "note", member_id, "--text", "bell\x07", *where]) == 2
    capsys.readouterr()
    assert main(["members", "list", "--tag", "回購", "--table", table, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"members": [member_id], "next": None}
    assert main(["members", "show", member_id, *where]) == 0
    shown = capsys.readouterr().out
    assert "Notes" in shown and "Called back" in shown and "Mei" in shown
    assert main(["members", "untag", member_id, "回購", *where]) == 0
    capsys.readouterr()
    assert main(["members", "list", "--tag", "回購", "--table", table, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == []


def test_members_merge_from_the_cli(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table, project = member_table
    source = tmp_path / "other.csv"
    source.write_text("email,name\nsecond@example.com,Second\n", encoding="utf-8")
    assert main(["members", "import", str(source), "--table", table]) == 0
    capsys.readouterr()
    ids = []
    for who in (["--line", "U1"], ["--email", "second@example.com"]):
        assert main(["members", "show", *who, "--table", table, "--json"]) == 0
        ids.append(json.loads(capsys.readouterr().out)["member"]["member_id"])
    keep, absorb = ids
    merge = ["members", "merge", keep, absorb, "--table", table, "--project", project]
    assert main([*merge, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "merged"
    assert (
        main(["members", "show", "--email", "second@example.com", "--table", table, "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["member"]["member_id"] == keep
    assert main(merge) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["members", "merge", keep, keep, "--table", table]) == 1


def test_members_export_by_tag_reads_the_index(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table, _ = member_table
    assert main(["members", "show", "--line", "U1", "--table", table, "--json"]) == 0
    member_id = json.loads(capsys.readouterr().out)["member"]["member_id"]
    assert main(["members", "tag", member_id, "export-me", "--table", table]) == 0
    out = tmp_path / "tagged.csv"
    assert (
        main(["members", "export", "--tag", "export-me", "--out", str(out), "--table", table]) == 0
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{member_id},U1")
    empty = tmp_path / "none.csv"
    assert (
        main(["members", "export", "--tag", "nobody", "--out", str(empty), "--table", table]) == 0
    )
    assert len(empty.read_text(encoding="utf-8").splitlines()) == 1


def test_members_list_and_export_by_segment_read_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a segment of members who gave a name, kept by the evaluator as U1 names
    # themselves (U2 only follows)
    project = BrandProject(tmp_path)
    project.segment("named", {"field": "profile.name", "exists": True})
    events = [
        follow("U1", "2026-03-01T10:00"),
        follow("U2", "2026-03-01T10:00"),
        profile("U1", "2026-03-02T21:15", name="林小美"),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events), encoding="utf-8")
    saved = dict(os.environ)
    loaded = load_events(path)
    simulation = Simulation.start(str(project.root), loaded[0].time, backend="emulator")
    try:
        simulation.run(loaded, datetime.fromisoformat(at("2026-03-03T00:00")))
        table = simulation.stack.tables["main"]
        assert main(["members", "show", "--line", "U1", "--table", table, "--json"]) == 0
        member_id = json.loads(capsys.readouterr().out)["member"]["member_id"]

        assert main(["members", "list", "--segment", "named", "--table", table, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"members": [member_id], "next": None}
        assert main(["members", "list", "--segment", "named", "--table", table]) == 0
        assert capsys.readouterr().out.split() == [member_id]
        out = tmp_path / "named.csv"
        export = ["members", "export", "--segment", "named", "--out", str(out), "--table", table]
        assert main(export) == 0
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2 and lines[1].startswith(f"{member_id},U1")
        assert "林小美" in lines[1]
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_members_changes_on_the_table_are_audited_with_the_iam_caller(
    member_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from kairos.store.audit import AuditRepository
    from kairos.store.members import MemberRepository

    table, project = member_table
    assert main(["members", "show", "--line", "U1", "--table", table, "--json"]) == 0
    member_id = json.loads(capsys.readouterr().out)["member"]["member_id"]
    where = ["--table", table, "--project", project]
    assert main(["members", "tag", member_id, "vip", *where]) == 0
    assert main(["members", "note", member_id, "--text", "Called back", *where]) == 0
    entries, _ = AuditRepository(table, boto3.client("dynamodb")).page()
    assert [(e.action, e.member_id, e.role) for e in entries] == [
        ("note.added", member_id, "iam"), ("tag.added", member_id, "iam"),
    ]  # fmt: skip
    assert entries[0].by.startswith("arn:aws:") and entries[0].detail == {"chars": 11}
    stored = MemberRepository(table, boto3.client("dynamodb")).timeline(member_id)
    timeline = {e["kind"]: e["data"] for e in stored}
    assert timeline["tag.added"]["by"] == entries[0].by
