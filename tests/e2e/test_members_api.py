"""`kairos members … --api URL`: the member commands through the admin API, SigV4-signed
with the caller's AWS credentials, answering as they do against the table.

`kairos local` serves the admin API unsigned; a SigV4 gate in front of it
(tests/e2e/sigv4_gate.py) plays API Gateway's IAM check: it recomputes each request's
signature and refuses (403) what is unsigned, badly signed or from a caller without
the admin policy."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kairos_dev.admin_client import api_region
from kairos_dev.cli import main
from kairos_dev.local.runtime import LocalRuntime
from tests.e2e.sigv4_gate import SigV4Gate


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SigV4Gate]:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = LocalRuntime.start(None, port=0, pumps=False, prefix=f"api{uuid.uuid4().hex[:8]}")
    key = os.environ["AWS_ACCESS_KEY_ID"]  # the caller's credentials: the emulator's
    guard = SigV4Gate(
        upstream=local.api.url,
        region=os.environ["AWS_DEFAULT_REGION"],
        secrets={key: os.environ["AWS_SECRET_ACCESS_KEY"]},
        allowed={key},
    ).start()
    try:
        yield guard
    finally:
        guard.stop()
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """One member, imported into the local table; its id."""
    source = tmp_path / "members.csv"
    source.write_text(
        "line_user_id,email,name,tags\nU-api-1,amy@example.com,林小美,vip\n", encoding="utf-8"
    )
    assert main(["members", "import", str(source), "--at", "2026-03-01T10:00:00+08:00"]) == 0
    capsys.readouterr()
    assert main(["members", "show", "--email", "amy@example.com", "--json"]) == 0
    return str(json.loads(capsys.readouterr().out)["member"]["member_id"])


def out_of(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> str:
    assert main(argv) == code
    return capsys.readouterr().out


def test_member_commands_through_the_signed_api_answer_as_the_table(
    gate: SigV4Gate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member_id = imported(tmp_path, capsys)
    api = ["--api", gate.url]

    # show: the same tables for people; the same JSON but the per-field change times
    # the API leaves out
    assert out_of(capsys, ["members", "show", member_id, *api]) == out_of(
        capsys, ["members", "show", member_id]
    )
    assert len(gate.seen) == 2  # the profile, then the timeline page: notes come with them
    by_api = json.loads(out_of(capsys, ["members", "show", "--line", "U-api-1", "--json", *api]))
    direct = json.loads(out_of(capsys, ["members", "show", member_id, "--json"]))
    assert by_api["timeline"] == direct["timeline"]
    assert {**by_api["member"], "field_times": None} == {**direct["member"], "field_times": None}

    # tag, note, list, untag
    assert out_of(capsys, ["members", "tag", member_id, "回購", *api]).strip() == (
        f"{member_id}: tags vip, 回購"
    )
    assert out_of(capsys, ["members", "note", member_id, "--text", "Called back", *api]) == (
        f"{member_id}: note added\n"
    )
    assert main(["members", "note", member_id, "--text", "bell\x07", *api]) == 2
    assert "control characters" in capsys.readouterr().err
    listed = out_of(capsys, ["members", "list", "--tag", "回購", "--json", *api])
    assert json.loads(listed) == {"members": [member_id], "next": None}
    shown = out_of(capsys, ["members", "show", member_id, *api])
    assert "Called back" in shown and "Notes" in shown
    out = tmp_path / "vip.csv"
    assert main(["members", "export", "--tag", "vip", "--out", str(out), *api]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith(f"{member_id},U-api-1")
    assert main(["members", "export", *api]) == 2
    assert "exports by tag or segment only" in capsys.readouterr().err
    # a segment the deployed project does not have is the API's 400, one line
    assert main(["members", "list", "--segment", "nope", *api]) == 2
    assert "nope" in capsys.readouterr().err
    assert out_of(capsys, ["members", "untag", member_id, "回購", *api]).strip() == (
        f"{member_id}: tags vip"
    )

    # 404 is "no member", as against the table
    assert main(["members", "show", "m-nobody", *api]) == 1
    assert main(["members", "tag", "m-nobody", "x", *api]) == 1
    assert "no member m-nobody" in capsys.readouterr().err

    # merge and erase, each idempotent
    source = tmp_path / "other.csv"
    source.write_text("email,name\nbo@example.com,Bo\n", encoding="utf-8")
    out_of(capsys, ["members", "import", str(source)])
    absorb = json.loads(out_of(capsys, ["members", "show", "--email", "bo@example.com", "--json"]))
    absorb_id = absorb["member"]["member_id"]
    merged = json.loads(out_of(capsys, ["members", "merge", member_id, absorb_id, "--json", *api]))
    assert merged["status"] == "merged"
    assert "nothing changed" in out_of(capsys, ["members", "merge", member_id, absorb_id, *api])
    erase = ["members", "erase", "--line", "U-api-1", "--request", "DSR-1", *api]
    assert f"{member_id} erased:" in out_of(capsys, erase)
    assert "line_user_id: absent" in out_of(capsys, erase)
    again = ["members", "erase", member_id, "--request", "DSR-1", "--json", *api]
    assert json.loads(out_of(capsys, again))["status"] == "absent"
    assert main(["members", "show", member_id]) == 1  # gone from the table itself

    # every call went through the gate, signed for execute-api in the region
    assert len(gate.seen) > 15
    assert {seen.verdict for seen in gate.seen} == {"signed"}
    for seen in gate.seen:
        assert seen.authorization.startswith("AWS4-HMAC-SHA256 Credential=")
        assert f"/{gate.region}/execute-api/aws4_request" in seen.authorization


def test_refused_credentials_are_one_line_naming_the_admin_policy(
    gate: SigV4Gate, capsys: pytest.CaptureFixture[str]
) -> None:
    gate.allowed.clear()  # signed, but without the admin policy
    assert main(["members", "show", "m-1", "--api", gate.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "403" in err and "AdminPolicyArn" in err
    assert [seen.verdict for seen in gate.seen] == ["not authorized"]


def test_a_wrong_signature_is_refused(gate: SigV4Gate, capsys: pytest.CaptureFixture[str]) -> None:
    [key] = gate.secrets
    gate.secrets[key] = "not-the-secret-the-caller-has"
    assert main(["members", "list", "--tag", "vip", "--api", gate.url]) == 2
    assert "AdminPolicyArn" in capsys.readouterr().err
    assert [seen.verdict for seen in gate.seen] == ["signature does not match"]


def test_unreachable_api_and_missing_credentials_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    deployed = "https://abc123.execute-api.ap-northeast-1.amazonaws.com/prod"
    assert main(["members", "show", "m-1", "--api", deployed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no AWS credentials: run `aws configure`" in err

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert main(["members", "tag", "m-1", "vip", "--api", "http://127.0.0.1:9/prod"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no AWS region" in err  # a local URL names no region
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    assert main(["members", "tag", "m-1", "vip", "--api", "http://127.0.0.1:9/prod"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach http://127.0.0.1:9/prod" in err


def test_the_region_comes_from_the_api_url() -> None:
    deployed = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    assert api_region(deployed, "ap-northeast-1") == "eu-west-1"
    assert api_region("https://crm.example.com/kairos", "ap-northeast-1") == "ap-northeast-1"
