"""The console's members routes through the real webhook handler and the emulator (moto
over HTTP): a signed-in user's changes reach the member's history and the audit trail,
read back by the member page, the history by kind and the audit log (gsi1)."""

from __future__ import annotations

import json
from itertools import count
from typing import Any
from urllib.parse import quote

from kairos.store.members import MemberRepository
from kairos_dev.local.apigw import proxy_event
from tests.builders import NOW_MS, WebhookClient, canonical

SECONDS = count(1)
STAFF = {"cognito:username": "sam", "cognito:groups": "staff"}
ADMIN = {"cognito:username": "ada", "cognito:groups": "admin"}


def call(
    webhook: WebhookClient, method: str, path: str, claims: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    raw = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, f"/console/api/{path}", {}, raw, NOW_MS + 1000 * next(SECONDS))
    event["requestContext"]["authorizer"] = {"claims": claims}
    result = webhook.host.invoke("webhook", event)
    return int(result["statusCode"]), json.loads(result.get("body") or "null")


def test_a_staff_change_reaches_history_and_the_audit_log(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    answer = webhook.events(
        canonical("e1", "profile.updated", {"email": "amy@example.com"}, {"name": "Amy"})
    )
    assert answer.status == 200, answer.body
    member_id = members.find("email", "amy@example.com")
    assert member_id is not None
    assert call(webhook, "POST", f"members/{member_id}/tags/{quote('貴賓')}", STAFF)[0] == 200
    assert call(webhook, "POST", f"members/{member_id}/notes", STAFF, {"text": "回電"})[0] == 201

    status, page = call(webhook, "GET", f"members/{member_id}", STAFF)
    assert status == 200 and page["member"]["tags"] == ["貴賓"]
    assert [(n["author"], n["text"]) for n in page["notes"]] == [("sam", "回電")]
    status, staff = call(webhook, "GET", f"members/{member_id}/history?kind=staff", STAFF)
    assert [(e["type"], e["by"]) for e in staff["items"]] == [
        ("member.note_added", "sam"), ("tag.added", "sam"),
    ]  # fmt: skip
    status, found = call(webhook, "GET", f"members?q={quote('amy@example.com')}", STAFF)
    assert [r["member_id"] for r in found["items"]] == [member_id]

    status, log = call(webhook, "GET", f"audit?member={member_id}", ADMIN)
    assert status == 200
    assert [(e["action"], e["by"], e["detail"]) for e in log["items"]] == [
        ("note.added", "sam", {"chars": 2}), ("tag.added", "sam", {"tag": "貴賓"}),
    ]  # fmt: skip
    status, done = call(webhook, "DELETE", f"members/{member_id}?request=DSR-1", ADMIN)
    assert (status, done["status"]) == (200, "erased")
    status, log = call(webhook, "GET", "audit?limit=1", ADMIN)
    assert [e["action"] for e in log["items"]] == ["member.erased"] and log["next"]
    assert call(webhook, "GET", "audit", STAFF)[0] == 403
