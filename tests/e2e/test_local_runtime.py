"""End to end through `kairos local`: real HTTP requests, the real handler, the emulator,
and `kairos members show` reading the result."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kairos.ingest.identity import new_member_id
from kairos.ingest.signatures import sign_kairos, sign_line
from kairos.store.members import MemberRepository
from kairos_dev.cli import main
from kairos_dev.local.demo import post
from kairos_dev.local.runtime import LocalRuntime
from tests.builders import follow, line_body, shop_order


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = LocalRuntime.start(None, port=0, pumps=False, prefix=f"e2e{uuid.uuid4().hex[:8]}")
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_signed_requests_over_http_make_members(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    api, secrets = runtime.api.url, runtime.stack.secrets
    body = line_body(follow("U-e2e", "e2e-1"))
    status, answer = post(
        f"{api}/line/webhook",
        body,
        {"X-Line-Signature": sign_line(body, secrets.line_channel_secret)},
    )
    assert (status, answer["applied"]) == (200, 1)

    order = json.dumps(
        shop_order("E2E-1", {"line_user_id": "U-e2e", "email": "e2e@example.com"})
    ).encode()
    status, _ = post(
        f"{api}/shop/orders",
        order,
        {"X-Kairos-Signature": sign_kairos(order, secrets.webhook_secret)},
    )
    assert status == 200

    status, answer = post(f"{api}/events", b"{}", {"X-Kairos-Signature": "sha256=nope"})
    assert status == 401

    capsys.readouterr()
    assert main(["members", "show", "--email", "e2e@example.com", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["member"]["profile"]["line_following"] is True
    assert shown["member"]["stats"]["order_count"] == 1
    assert [e["kind"] for e in shown["timeline"]] == ["line.follow", "order.created"]


def test_unknown_routes_are_404(runtime: LocalRuntime) -> None:
    status, _ = post(f"{runtime.api.url}/nowhere", b"{}", {})
    assert status == 404


def test_members_show_names_a_missing_member(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", "show", "--line", "U-nobody"]) == 1
    assert "no member with line_user_id U-nobody" in capsys.readouterr().err


def test_members_import_then_export_round_trips(
    runtime: LocalRuntime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "members.csv"
    source.write_text(
        "line_user_id,email,name,gender,birthday,tags,consent_email\n"
        "U-imp-1,imp1@example.com,林小美,female,1990-02-28,vip;likes-latte,true\n"
        ",imp2@example.com,陳大文,male,,,\n",
        encoding="utf-8",
    )
    assert main(["members", "import", str(source), "--at", "2026-03-01T10:00:00+08:00"]) == 0
    assert "2 members" in capsys.readouterr().out
    # Importing again changes nothing.
    assert main(["members", "import", str(source), "--at", "2026-03-01T10:00:00+08:00"]) == 0
    assert "0 changes applied" in capsys.readouterr().out

    out = tmp_path / "export.csv"
    assert main(["members", "export", "--out", str(out)]) == 0
    exported = out.read_text(encoding="utf-8")
    assert "U-imp-1,imp1@example.com" in exported
    assert "likes-latte;vip" in exported
    assert "林小美" in exported and "陳大文" in exported


def test_members_import_maps_columns_applies_good_rows_and_rejects_bad_ones(
    runtime: LocalRuntime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "crm.csv"
    source.write_text(
        "E-mail,Mobile,Name\n"
        "good1@example.com,+886912000001,Good One\n"
        "not-an-email,,Bad Email\n"
        "good2@example.com,0912,Bad Phone\n"
        ",,Nobody\n"
        "good3@example.com,,Good Three\n",
        encoding="utf-8",
    )
    mapping = "email=E-mail,phone=Mobile,name=Name"
    assert main(["members", "import", str(source), "--map", mapping]) == 1
    captured = capsys.readouterr()
    assert "3 members" not in captured.out and "2 members" in captured.out
    assert "3 of 5 rows rejected" in captured.err
    assert "line 3, E-mail:" in captured.err and "line 4, Mobile:" in captured.err
    rejects = (tmp_path / "crm.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0] == "E-mail,Mobile,Name,_line,_column,_reason"
    assert [r.split(",")[3] for r in rejects[1:]] == ["3", "4", "5"]
    assert main(["members", "show", "--email", "good3@example.com", "--json"]) == 0
    assert main(["members", "show", "--email", "good2@example.com"]) == 1
    capsys.readouterr()
    assert main(["members", "import", str(source), "--map", "email=Mail"]) == 2
    assert "does not have: Mail" in capsys.readouterr().err


def test_local_runs_journeys_in_real_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a brand whose welcome journey greets every new LINE friend at once
    project = tmp_path / "brand"
    (project / "journeys").mkdir(parents=True)
    (project / "templates").mkdir()
    (project / "kairos.yaml").write_text("timezone: Asia/Taipei\n", encoding="utf-8")
    (project / "templates" / "hello.yaml").write_text(
        "id: hello\nline: {text: '歡迎加入！'}\n", encoding="utf-8"
    )
    (project / "journeys" / "welcome.yaml").write_text(
        "id: welcome\nname: 歡迎\ntrigger: {event: line.follow}\n"
        "transactional: true\nsteps:\n  - id: greet\n    send: {channel: line, template: hello}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = LocalRuntime.start(str(project), port=0, prefix=f"rt{uuid.uuid4().hex[:8]}")
    try:
        # When a friend follows
        body = line_body(follow("U-live", "live-1", ts=int(time.time() * 1000)))
        status, _ = post(f"{local.api.url}/line/webhook", body,
                         {"X-Line-Signature": sign_line(body, local.stack.secrets.line_channel_secret)})  # fmt: skip
        assert status == 200
        # Then the pumps carry it through the evaluator and the sender to LINE, as a
        # free reply with the follow's token (the fake LINE knows the tokens it sent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not local.fake_line.messages:
            time.sleep(0.2)
        [message] = local.fake_line.messages
        assert message.to == "U-live"
        assert message.message["text"] == "歡迎加入！"
        assert message.endpoint == "reply"
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_local_routes_ses_events_back_to_the_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a brand that emails every newsletter subscriber at once
    project = tmp_path / "brand"
    (project / "journeys").mkdir(parents=True)
    (project / "templates").mkdir()
    (project / "kairos.yaml").write_text(
        "timezone: Asia/Taipei\nchannels:\n  email: {from: hello@brand.example}\n",
        encoding="utf-8",
    )
    (project / "templates" / "news.yaml").write_text(
        "id: news\nemail: {subject: 'News', text: 'News'}\n", encoding="utf-8"
    )
    (project / "journeys" / "news.yaml").write_text(
        "id: news\nname: News\ntrigger: {event: newsletter.joined}\ntransactional: true\n"
        "steps:\n  - id: news\n    send: {channel: email, template: news}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = LocalRuntime.start(str(project), port=0, prefix=f"rs{uuid.uuid4().hex[:8]}")
    try:
        # When an address that bounces (SES's mailbox simulator) joins
        email = "bounce@simulator.amazonses.com"
        body = json.dumps(
            {"id": "join-1", "type": "newsletter.joined", "member": {"email": email},
             "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "data": {}}
        ).encode()  # fmt: skip
        status, _ = post(f"{local.api.url}/events", body,
                         {"X-Kairos-Signature": sign_kairos(body, local.stack.secrets.webhook_secret)})  # fmt: skip
        assert status == 200
        # Then the email goes out, SES's bounce comes back through the webhook, and the
        # address is no longer emailed
        members = MemberRepository(local.stack.tables["main"], local.stack.client("dynamodb"))
        member_id = new_member_id({"email": email}, local.stack.secrets.member_id_key.encode())
        deadline = time.monotonic() + 30
        status_now = None
        while time.monotonic() < deadline and status_now is None:
            member = members.get(member_id)
            status_now = member.profile.get("email_status") if member else None
            time.sleep(0.2)
        assert status_now == "bounced"
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
