"""The admin API through the real webhook handler and the emulator: look up, read, tag,
note and erase a member, as the brand's tools call it (API Gateway has checked SigV4;
tests/infra/test_ingest.py proves every admin method is IAM-authorised)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kairos.store.audit import AuditRepository
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos.store.records import Commit, SegmentMember
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.stack import LocalStack, create_local_stack
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


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def raw_get(webhook: WebhookClient, path: str) -> tuple[int, dict[str, str], str]:
    event = proxy_event("GET", path, {}, b"", NOW_MS)
    event["requestContext"]["identity"]["userArn"] = CALLER
    result = webhook.host.invoke("webhook", event)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for k, v in (result.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = v[0]
    return int(result["statusCode"]), headers, result.get("body") or ""


def test_list_and_export_a_segment_and_a_tag(emulator: Emulator) -> None:
    # A brand with the example project's segments (vip among them), three members in vip
    # as the evaluator recorded them, two of them tagged
    local = create_local_stack(
        emulator, prefix=f"k{uuid.uuid4().hex[:10]}", project_dir=str(EXAMPLES)
    )
    local.activate()
    webhook = WebhookClient(local)
    members = MemberRepository(local.tables["main"], local.client("dynamodb"))
    ids = []
    for n in range(3):
        email = f"v{n}@example.com"
        answer = webhook.events(
            canonical(f"v{n}", "profile.updated", {"email": email}, {"name": f"客{n}"})
        )
        assert answer.status == 200, answer.body
        found = members.find("email", email)
        assert found is not None
        ids.append(found)
    change = Commit()
    for member_id in ids:
        change.segments[SegmentMember("vip", member_id)] = True
    assert EngineStore(local.tables["main"], local.client("dynamodb")).commit(change)
    for member_id in ids[:2]:
        admin(webhook, "POST", f"/admin/members/{member_id}/tags/{quote('回購')}")
    ids.sort()

    # List by segment, a page at a time
    status, first = admin(webhook, "GET", "/admin/members?segment=vip&limit=2")
    assert status == 200 and first["members"] == ids[:2] and first["next"]
    status, rest = admin(
        webhook, "GET", f"/admin/members?segment=vip&cursor={quote(first['next'])}"
    )
    assert (status, rest) == (200, {"members": ids[2:], "next": None})
    status, body = admin(webhook, "GET", "/admin/members?segment=vipp")
    assert status == 400 and "no segment 'vipp'" in body["error"] and "vip" in body["error"]

    # Export the segment as CSV, two members a response: the rest's cursor in headers
    status, headers, text = raw_get(webhook, "/admin/members/export?segment=vip&limit=2")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert headers["x-members"] == "2" and headers["x-next-cursor"]
    assert headers["link"].startswith("<?") and 'rel="next"' in headers["link"]
    rows = list(csv.DictReader(io.StringIO(text)))
    link = headers["link"][1 : headers["link"].index(">")]
    status, headers, text = raw_get(webhook, f"/admin/members/export{link}")
    assert status == 200 and "x-next-cursor" not in headers
    rows += list(csv.DictReader(io.StringIO(text)))
    assert [r["member_id"] for r in rows] == ids
    assert [r["email"] for r in rows] == [members.get(m).identifiers["email"] for m in ids]  # type: ignore[union-attr]
    assert all(r["name"].startswith("客") for r in rows)

    # Custom profile attributes as extra columns, kept on the next page's link
    status, headers, text = raw_get(
        webhook, "/admin/members/export?segment=vip&limit=2&attributes=city,name"
    )
    assert "attributes=city" in headers["link"]
    header = text.splitlines()[0].split(",")
    assert header[-4:] == ["city", "tags", "order_count", "total_spent"]
    assert header.count("name") == 1
    status, _, _ = raw_get(webhook, "/admin/members/export?segment=vip&attributes=a%2Cb-c")
    assert status == 400

    # Export a tag; a bad request names what to give
    status, headers, text = raw_get(webhook, f"/admin/members/export?tag={quote('回購')}")
    tagged = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and len(tagged) == 2 and {r["tags"] for r in tagged} == {"回購"}
    assert raw_get(webhook, "/admin/members/export")[0] == 400
    assert raw_get(webhook, "/admin/members/export?tag=a&segment=vip")[0] == 400
    assert raw_get(webhook, "/admin/members/export?segment=vip&limit=0")[0] == 400


def test_every_admin_write_and_export_is_audited_with_the_iam_caller(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    trail = AuditRepository(stack.tables["main"], stack.client("dynamodb"))
    keep = a_member(webhook, members)
    assert webhook.events(canonical("e9", "line.follow", {"line_user_id": "U-amy"})).status == 200
    absorb = members.find("line_user_id", "U-amy")
    assert absorb is not None
    # When the brand's tools tag, untag, note, export, merge and erase over the admin API
    admin(webhook, "POST", f"/admin/members/{keep}/tags/vip")
    admin(webhook, "DELETE", f"/admin/members/{keep}/tags/vip")
    admin(webhook, "POST", f"/admin/members/{keep}/notes", {"text": "Call after 6pm"})
    assert raw_get(webhook, "/admin/members/export?tag=vip")[0] == 200
    admin(webhook, "POST", f"/admin/members/{keep}/merge/{absorb}?request=CS-3")
    admin(webhook, "DELETE", f"/admin/members/{keep}?request=DSR-9")
    # Then the audit trail holds each, newest first (the export is stamped earlier), by
    # the IAM caller
    entries, _ = trail.page(limit=20)
    assert [(e.action, e.member_id) for e in entries] == [
        ("member.erased", keep), ("member.merged", keep), ("note.added", keep),
        ("tag.removed", keep), ("tag.added", keep), ("members.exported", None),
    ]  # fmt: skip
    assert {(e.by, e.role) for e in entries} == {(CALLER, "iam")}
    assert entries[0].detail == {"request": "DSR-9"}
    assert entries[1].detail == {"absorbed": absorb, "request": "CS-3"}
    # A note's text stays on the member's timeline, never in the log.
    assert entries[2].detail == {"chars": len("Call after 6pm")}
    assert entries[-1].detail == {"tag": "vip", "rows": 0, "first_page": True}


def test_staff_changes_on_the_timeline_say_who_made_them(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    member_id = a_member(webhook, members)
    admin(webhook, "POST", f"/admin/members/{member_id}/tags/vip")
    admin(webhook, "POST", f"/admin/members/{member_id}/notes", {"text": "hi", "author": "Bo"})
    timeline = {e["kind"]: e["data"] for e in members.timeline(member_id)}
    assert timeline["tag.added"] == {"tag": "vip", "by": CALLER}
    assert timeline["member.note_added"] == {"author": "Bo", "text": "hi", "by": CALLER}
