"""The admin API through the real webhook handler and the emulator: look up, read, tag,
note and erase a member, as the brand's tools call it (API Gateway has checked SigV4;
tests/infra/test_ingest.py proves every admin method is IAM-authorised)."""

from __future__ import annotations

import json
from itertools import count
from typing import Any
from urllib.parse import quote

from kairos.store.members import MemberRepository
from kairos_dev.local.apigw import proxy_event
from tests.builders import NOW_MS, WebhookClient, canonical

CALLER = "arn:aws:iam::123456789012:user/desk"
SECONDS = count(1)


def admin(
    webhook: WebhookClient, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    # Each call a second later, as staff work: the latest change to a tag wins.
    now_ms = NOW_MS + 1000 * next(SECONDS)
    event = proxy_event(method, path, {"content-type": "application/json"}, raw, now_ms)
    event["requestContext"]["identity"]["userArn"] = CALLER
    result = webhook.host.invoke("webhook", event)
    return int(result["statusCode"]), json.loads(result.get("body") or "{}")


def a_member(webhook: WebhookClient, members: MemberRepository) -> str:
    answer = webhook.events(
        canonical("e1", "profile.updated", {"email": "amy@example.com"}, {"name": "Amy"})
    )
    assert answer.status == 200, answer.body
    found = members.find("email", "amy@example.com")
    assert found is not None
    return found


def test_look_up_tag_note_and_read_a_member(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    member_id = a_member(webhook, members)
    assert admin(webhook, "GET", "/admin/members?email=AMY@example.com") == (
        200,
        {"members": [member_id], "next": None},
    )
    assert admin(webhook, "GET", "/admin/members?email=bo@example.com")[0] == 404
    assert admin(webhook, "GET", "/admin/members")[0] == 400

    status, body = admin(webhook, "POST", f"/admin/members/{member_id}/tags/{quote('貴賓')}")
    assert (status, body["tags"]) == (200, ["貴賓"])
    tagged = admin(webhook, "POST", f"/admin/members/{member_id}/tags/vip")[1]["tags"]
    assert set(tagged) == {"貴賓", "vip"}
    assert admin(webhook, "DELETE", f"/admin/members/{member_id}/tags/vip")[1]["tags"] == ["貴賓"]
    listed = admin(webhook, "GET", f"/admin/members?tag={quote('貴賓')}")
    assert listed == (200, {"members": [member_id], "next": None})
    assert admin(webhook, "GET", "/admin/members?tag=vip") == (200, {"members": [], "next": None})

    status, body = admin(
        webhook, "POST", f"/admin/members/{member_id}/notes", {"text": "Prefers calls\nafter 6pm"}
    )
    assert (status, body["author"]) == (201, CALLER)
    assert (
        admin(webhook, "POST", f"/admin/members/{member_id}/notes", {"text": "x" * 2001})[0] == 400
    )
    bad = admin(webhook, "POST", f"/admin/members/{member_id}/notes", {"text": "ring\x07"})
    assert bad[0] == 400 and "control" in bad[1]["error"]

    status, view = admin(webhook, "GET", f"/admin/members/{member_id}?limit=2")
    assert status == 200
    assert view["member"]["profile"]["name"] == "Amy"
    assert view["member"]["tags"] == ["貴賓"]
    assert view["notes"][0]["text"] == "Prefers calls\nafter 6pm"
    assert len(view["timeline"]) == 2 and view["next"]
    status, older = admin(
        webhook, "GET", f"/admin/members/{member_id}?before={quote(view['next'])}"
    )
    kinds = [e["kind"] for e in view["timeline"] + older["timeline"]]
    assert kinds == [
        "member.note_added", "tag.removed", "tag.added", "tag.added", "profile.updated",
    ]  # fmt: skip
    assert admin(webhook, "GET", "/admin/members/m-nobody")[0] == 404


def test_erase_by_api_is_idempotent(webhook: WebhookClient, members: MemberRepository) -> None:
    member_id = a_member(webhook, members)
    admin(webhook, "POST", f"/admin/members/{member_id}/tags/vip")
    status, done = admin(webhook, "DELETE", f"/admin/members/{member_id}?request=DSR-9")
    assert (status, done["status"]) == (200, "erased")
    assert members.get(member_id) is None and members.find("email", "amy@example.com") is None
    assert admin(webhook, "GET", "/admin/members?tag=vip")[1]["members"] == []
    assert admin(webhook, "DELETE", f"/admin/members/{member_id}")[1]["status"] == "absent"
    assert admin(webhook, "GET", f"/admin/members/{member_id}")[0] == 404
    late = webhook.events(canonical("e2", "tag.added", {"email": "amy@example.com"}, {"tag": "x"}))
    assert late.status == 200 and members.find("email", "amy@example.com") is None
    assert (late.body["applied"], late.body["erased"], late.body["members"]) == (0, 1, [])


def test_merge_by_api(webhook: WebhookClient, members: MemberRepository) -> None:
    keep = a_member(webhook, members)
    assert webhook.events(canonical("e9", "line.follow", {"line_user_id": "U-amy"})).status == 200
    absorb = members.find("line_user_id", "U-amy")
    assert absorb is not None and absorb != keep
    status, done = admin(webhook, "POST", f"/admin/members/{keep}/merge/{absorb}?request=CS-3")
    assert (status, done["status"]) == (200, "merged")
    assert members.find("line_user_id", "U-amy") == keep
    assert admin(webhook, "POST", f"/admin/members/{keep}/merge/{absorb}")[1]["status"] == "absent"
    assert admin(webhook, "POST", f"/admin/members/{keep}/merge/{keep}")[0] == 400
    assert admin(webhook, "POST", f"/admin/members/m-nobody/merge/{absorb}")[0] == 404
