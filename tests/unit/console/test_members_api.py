"""The console's members routes through the real handler on the memory backend: what a
signed-in user sees and changes, what a bad query is told, and that whatever members
sent comes back as the same text (the page shows it as text, never markup)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from kairos.engine.enrolment import Enrolment
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos.store.records import Commit, TimelineEntry
from tests.unit.console.client import Console

HOSTILE = '<img src=x onerror="alert(1)">陳小美</script>'
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def console() -> Console:
    return Console()


def test_me_says_who_is_signed_in_and_what_their_role_allows(console: Console) -> None:
    staff = console.call("GET", "me", "staff").body
    assert (staff["username"], staff["email"], staff["role"]) == (
        "sam",
        "sam@brand.example",
        "staff",
    )
    assert staff["brand"]["zone"] == "Asia/Taipei"
    assert not any(staff["can"].values())
    marketer = console.call("GET", "me", "marketer").body["can"]
    assert marketer == {"journeys": True, "export": True, "import": True, "erase": False,
                        "merge": False, "audit": False}  # fmt: skip
    assert all(console.call("GET", "me", "admin").body["can"].values())


def test_search_finds_a_member_by_what_staff_type(console: Console) -> None:
    amy = console.member("amy@example.com", name="Amy", phone="+886912345678")
    console.member("bo@example.com", name="Bo")
    for typed in ("AMY@example.com", "0912-345-678", "0912345678", amy):
        answer = console.call("GET", f"members?q={quote(typed)}")
        assert answer.status == 200, answer.text
        assert [row["member_id"] for row in answer.body["items"]] == [amy], typed
    row = console.call("GET", f"members?q={amy}").body["items"][0]
    assert (row["name"], row["email"], row["phone"]) == ("Amy", "amy@example.com", "+886912345678")
    assert console.call("GET", "members?q=nobody%40example.com").body == {"items": [], "next": None}


def test_the_list_by_tag_pages_and_filters_by_derived_stage(console: Console) -> None:
    ids = [console.member(f"m{n}@example.com", name=f"M{n}") for n in range(5)]
    for member_id in ids:
        assert console.call("POST", f"members/{member_id}/tags/vip").status == 200
    console.call("POST", f"members/{ids[0]}/tags/inquired")
    seen: list[str] = []
    cursor = None
    while True:
        path = "members?tag=vip&limit=2" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = console.call("GET", path).body
        assert len(page["items"]) <= 2
        seen += [row["member_id"] for row in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    # lifecycle is derived at the request's time: only the inquired member is a lead
    leads = console.call("GET", "members?tag=vip&lifecycle=lead").body["items"]
    assert [(r["member_id"], r["lifecycle"]) for r in leads] == [(ids[0], "lead")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=101", "limit"),
        ("rfm=royalty", "rfm"), ("lifecycle=vip", "lifecycle"),
        ("segment=vipp", "segment"), ("q=a&tag=b", "tag"), ("tag=%20", "tag"),
    ],
)  # fmt: skip
def test_a_bad_list_query_is_a_400_naming_the_field(
    console: Console, query: str, field: str
) -> None:
    answer = console.call("GET", f"members?{query}")
    assert answer.status == 400 and answer.body["error"].startswith(f"{field}:"), answer.text
    if query != "limit=101":  # an export page may hold up to 5,000
        assert console.call("GET", f"members/export?{query}", "marketer").status == 400


def test_hostile_text_comes_back_as_the_same_text(console: Console) -> None:
    member_id = console.member("x@example.com", name=HOSTILE)
    console.call("POST", f"members/{member_id}/tags/{quote(HOSTILE[:60], safe='')}")
    console.call("POST", f"members/{member_id}/notes", body={"text": HOSTILE})
    page = console.call("GET", f"members/{member_id}")
    assert page.headers["Content-Type"].startswith("application/json")
    assert page.headers["Cache-Control"] == "no-store"
    body = page.body
    assert body["member"]["profile"]["name"] == HOSTILE
    assert HOSTILE[:60] in body["member"]["tags"]
    assert body["notes"][0]["text"] == HOSTILE
    listed = console.call("GET", f"members?q={member_id}").body["items"][0]
    assert listed["name"] == HOSTILE


def test_the_member_page(console: Console) -> None:
    member_id = console.member("amy@example.com", name="Amy", consent={"sms": False})
    console.events(
        {"id": "f1", "type": "line.follow", "time": "2026-03-01T11:00:00+08:00",
         "member": {"email": "amy@example.com", "line_user_id": "U" + "a" * 32}, "data": {}},
        {"id": "o1", "type": "order.created", "time": "2026-03-01T12:00:00+08:00",
         "member": {"email": "amy@example.com"},
         "data": {"order_id": "A-1", "total": 1200, "items": [{"sku": "S1", "qty": 1}]}},
    )  # fmt: skip
    engine = EngineStore(console.stack.tables["main"], console.backend.client("dynamodb"))
    waiting = Enrolment(
        id="e1", journey="welcome", journey_version="v1", member_id=member_id, step="wait_1",
        state="waiting", wait_until=NOW + timedelta(days=2), entered_at=NOW,
    )  # fmt: skip
    ended = Enrolment(
        id="e0", journey="winback", journey_version="v3", member_id=member_id, state="completed",
        entered_at=NOW - timedelta(days=40), ended_at=NOW - timedelta(days=30), converted=True,
    )  # fmt: skip
    sent = TimelineEntry(member_id, NOW, "d1", "delivery.sent",
                         {"journey": "welcome", "step": "hello", "channel": "line",
                          "template": "hi", "delivery_id": "d1"})  # fmt: skip
    assert engine.commit(Commit(enrolment=waiting, timeline=[sent]))
    assert engine.commit(Commit(enrolment=ended))
    console.call("POST", f"members/{member_id}/notes", body={"text": "Prefers calls"})

    page = console.call("GET", f"members/{member_id}").body
    assert page["member"]["stats"]["order_count"] == 1
    assert page["member"]["stats"]["lifecycle"] == "customer"
    assert page["member"]["stats"]["rfm"]["segment"] == "new"
    assert page["reachability"]["line"]["status"] == "following"
    assert page["reachability"]["email"]["status"] == "ok"
    assert page["reachability"]["sms"]["status"] == "none"
    assert [(n["author"], n["text"]) for n in page["notes"]] == [("sam", "Prefers calls")]
    current = page["journeys"]["current"]
    assert [(j["journey"], j["step"], j["version"]) for j in current] == [
        ("welcome", "wait_1", "v1")
    ]
    assert current[0]["waiting_until"].startswith("2026-03-03T02:00")
    assert [(j["journey"], j["how"]) for j in page["journeys"]["past"]] == [
        ("winback", "converted")
    ]
    kinds = [(e["kind"], e["type"]) for e in page["history"]["items"]]
    assert kinds[0] == ("orders", "order.created")  # newest first (12:00 in Taipei)
    assert {("line", "line.follow"), ("staff", "member.note_added")} <= set(kinds)
    message = next(e for e in page["history"]["items"] if e["type"] == "delivery.sent")
    assert (message["journey"], message["step"], message["channel"], message["status"]) == (
        "welcome", "hello", "line", "sent",
    )  # fmt: skip
    assert console.call("GET", "members/m-nobody").status == 404


def test_history_filters_by_kind_and_pages_older(console: Console) -> None:
    member_id = console.member("amy@example.com")
    for n in range(3):
        console.events({"id": f"o{n}", "type": "order.created",
                        "time": f"2026-03-0{n + 2}T12:00:00+08:00",
                        "member": {"email": "amy@example.com"},
                        "data": {"order_id": f"A-{n}", "total": 100}})  # fmt: skip
    console.call("POST", f"members/{member_id}/tags/vip")
    staff = console.call("GET", f"members/{member_id}/history?kind=staff").body["items"]
    assert [(e["type"], e["by"], e["data"]) for e in staff] == [
        ("tag.added", "sam", {"tag": "vip"})
    ]
    orders: list[str] = []
    before = None
    while True:
        path = f"members/{member_id}/history?kind=orders&limit=2"
        page = console.call("GET", path + (f"&before={quote(before)}" if before else "")).body
        orders += [e["data"]["order_id"] for e in page["items"]]
        assert all(e["kind"] == "orders" for e in page["items"])
        before = page["next"]
        if before is None:
            break
    assert orders == ["A-2", "A-1", "A-0"]
    assert console.call("GET", f"members/{member_id}/history?kind=mail").body == {
        "error": "kind: one of line, orders, messages, opens, clicks, staff"
    }
    assert console.call("GET", f"members/{member_id}/history?before=x").status == 400
    assert console.call("GET", "members/m-nobody/history").status == 404


def test_staff_changes_are_by_the_signed_in_user_and_audited(console: Console) -> None:
    member_id = console.member("amy@example.com")
    assert console.call("POST", f"members/{member_id}/tags/vip").body == {
        "member_id": member_id, "tags": ["vip"],
    }  # fmt: skip
    assert console.call("DELETE", f"members/{member_id}/tags/vip").body["tags"] == []
    note = console.call("POST", f"members/{member_id}/notes", body={"text": "hi"})
    assert note.status == 201 and note.body["author"] == "sam"
    # The author is who signed in: a free-text author is refused.
    forged = console.call("POST", f"members/{member_id}/notes", body={"text": "x", "author": "CEO"})
    assert forged.status == 400 and forged.body["error"].startswith("author:")
    assert console.call("POST", f"members/{member_id}/notes", raw=b"not json").status == 400
    assert console.call("POST", "members/m-nobody/tags/vip").status == 404

    log = console.call("GET", "audit", "admin").body["items"]
    assert [(e["action"], e["by"], e["role"], e["member_id"]) for e in log] == [
        ("note.added", "sam", "staff", member_id),
        ("tag.removed", "sam", "staff", member_id),
        ("tag.added", "sam", "staff", member_id),
    ]
    assert log[0]["detail"] == {"chars": 2}
    mine = console.call("GET", f"audit?member={member_id}&limit=2", "admin").body
    assert len(mine["items"]) == 2 and mine["next"]
    rest = console.call("GET", f"audit?member={member_id}&before={quote(mine['next'])}", "admin")
    assert [e["action"] for e in rest.body["items"]] == ["tag.added"]
    assert console.call("GET", "audit?before=yesterday", "admin").status == 400
    assert console.call("GET", "audit?limit=0", "admin").status == 400


def test_erase_and_merge_need_the_request_reference(console: Console) -> None:
    keep = console.member("amy@example.com")
    absorb = console.member("amy.old@example.com")
    missing = console.call("DELETE", f"members/{keep}", "admin")
    assert missing.status == 400 and missing.body["error"].startswith("request:")
    assert console.call("POST", f"members/{keep}/merge/{absorb}", "admin").status == 400
    merged = console.call("POST", f"members/{keep}/merge/{absorb}?request=CS-7", "admin").body
    assert (merged["status"], merged["request"]) == ("merged", "CS-7")
    staff = console.call("GET", f"members/{keep}/history?kind=staff").body["items"]
    assert [(e["type"], e["by"]) for e in staff] == [("member.merged", "ada")]
    erased = console.call("DELETE", f"members/{keep}?request=DSR-2026-0042", "admin").body
    assert (erased["status"], erased["request"]) == ("erased", "DSR-2026-0042")
    again = console.call("DELETE", f"members/{keep}?request=DSR-2026-0042", "admin").body
    assert again["status"] == "absent"
    log = console.call("GET", "audit", "admin").body["items"]
    assert [(e["action"], e["by"], e["detail"]) for e in log] == [
        ("member.erased", "ada", {"request": "DSR-2026-0042"}),
        ("member.merged", "ada", {"absorbed": absorb, "request": "CS-7"}),
    ]


def test_export_is_the_list_as_csv_paged_and_audited(console: Console) -> None:
    ids = sorted(console.member(f"m{n}@example.com", name=f'=HYPERLINK("x{n}")') for n in range(3))
    for member_id in ids:
        console.call("POST", f"members/{member_id}/tags/vip")
    first = console.call("GET", "members/export?tag=vip&limit=2", "marketer")
    assert first.status == 200 and first.headers["Content-Type"].startswith("text/csv")
    assert first.headers["X-Members"] == "2" and first.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert all(r["name"].startswith("'=") for r in rows)  # a formula stays text
    rest = console.call(
        "GET", f"members/export?tag=vip&cursor={quote(first.headers['X-Next-Cursor'])}", "marketer"
    )
    assert "X-Next-Cursor" not in rest.headers
    exported = rows + list(csv.DictReader(io.StringIO(rest.text)))
    assert sorted(r["member_id"] for r in exported) == ids
    log = console.call("GET", "audit", "admin").body["items"]
    exports = [e for e in log if e["action"] == "members.exported"]
    assert [(e["by"], e["role"], e["detail"]) for e in exports] == [
        ("mia", "marketer", {"rows": 1, "first_page": False, "tag": "vip"}),
        ("mia", "marketer", {"rows": 2, "first_page": True, "tag": "vip"}),
    ]


SEARCH_INDEX = pytest.mark.skipif(
    not hasattr(MemberRepository, "name_prefix"),
    reason="the member store has no name or joined index yet (kairos.store.search_index)",
)


@SEARCH_INDEX
def test_a_name_prefix_and_the_newest_members(console: Console) -> None:
    chen = console.member("chen@example.com", name="陳小美", at="2026-02-01T10:00:00+08:00")
    lin = console.member("lin@example.com", name="林大明", at="2026-02-20T10:00:00+08:00")
    found = console.call("GET", f"members?q={quote('陳')}").body["items"]
    assert [r["member_id"] for r in found] == [chen]
    newest = console.call("GET", "members?limit=1").body
    assert [r["member_id"] for r in newest["items"]] == [lin] and newest["next"]
    older = console.call("GET", f"members?limit=1&cursor={quote(newest['next'])}").body
    assert [r["member_id"] for r in older["items"]] == [chen]


def test_a_note_holding_a_lone_surrogate_escape_is_refused_and_nothing_is_written(
    console: Console,
) -> None:
    # Given a member
    member_id = console.member("amy@example.com")
    # When a note's JSON holds a `\ud800` escape, which no stored item can hold
    answer = console.call("POST", f"members/{member_id}/notes", raw=b'{"text": "hi \\ud800"}')
    # Then it is a 400 naming the field, and the member has no note
    assert answer.status == 400 and answer.body["error"].startswith("text:")
    assert console.call("GET", f"members/{member_id}").body["notes"] == []
