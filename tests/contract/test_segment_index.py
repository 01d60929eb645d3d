"""The segment index on both backends, as staff read it: a segment's members a page at a
time (what the evaluator committed, never a scan), their CSV export paged by member
count and by response size, and a member's membership as `{segment: ID}` asks it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kairos.ingest.service import apply_event
from kairos.members.export import API_COLUMNS, export_page
from kairos.models.events import CanonicalEvent
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos.store.records import Commit, SegmentMember
from tests.contract.conftest import Side

ZONE = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KEY = b"contract-member-id-key"


def a_member(members: MemberRepository, n: int, **profile: str) -> str:
    event = CanonicalEvent.model_validate({
        "id": f"p-{n}", "type": "profile.updated",
        "time": (NOW + timedelta(seconds=n)).isoformat(),
        "member": {"email": f"m{n}@example.com"}, "data": {"name": f"會員{n}", **profile},
    })  # fmt: skip
    return apply_event(event, members, NOW, ZONE, member_id_key=KEY).member_id


def test_a_segment_pages_and_exports_from_its_index(side: Side) -> None:
    members = MemberRepository(side.table, side.client("dynamodb"))
    engine = EngineStore(side.table, side.client("dynamodb"))
    ids = [a_member(members, n) for n in range(12)]
    change = Commit()
    for member_id in ids:
        change.segments[SegmentMember("vip", member_id)] = True
    assert engine.commit(change)
    # One leaves (the evaluator deletes the entry); one other segment is not listed.
    left = Commit()
    left.segments[SegmentMember("vip", ids[0])] = False
    left.segments[SegmentMember("dormant", ids[1])] = True
    assert engine.commit(left)
    vip = sorted(ids[1:])

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page, cursor = members.segmented("vip", limit=5, cursor=cursor)
        pages.append(page)
        if cursor is None:
            break
    assert [m for page in pages for m in page] == vip  # member id order, no repeats
    assert [len(p) for p in pages][:2] == [5, 5]
    assert members.segmented("nobody-in-it") == ([], None)
    assert [m.member_id for m in members.segment_members("vip", page=4)] == vip
    assert engine.in_segment("vip", ids[1]) and not engine.in_segment("vip", ids[0])

    # The export: all at once, or in pages of 4 that concatenate to the same rows.
    whole = export_page(members, "segment", "vip", 100, None)
    assert whole.next is None and whole.members == 11
    rows = list(csv.DictReader(io.StringIO(whole.csv)))
    assert list(rows[0]) == list(API_COLUMNS)
    assert [r["member_id"] for r in rows] == vip
    assert {r["email"] for r in rows} == {f"m{n}@example.com" for n in range(1, 12)}
    assert rows[0]["name"].startswith("會員")
    paged: list[dict[str, str]] = []
    cursor = None
    while True:
        part = export_page(members, "segment", "vip", 4, cursor)
        paged += list(csv.DictReader(io.StringIO(part.csv)))
        if part.next is None:
            break
        cursor = part.next
    assert paged == rows

    # Bounded by size: a budget of about three rows pages after three, and loses none.
    lines = whole.csv.splitlines(keepends=True)
    three = len(json.dumps("".join(lines[:4]))) - 2  # as it travels: JSON-escaped
    by_size: list[dict[str, str]] = []
    cursor = None
    sizes: list[int] = []
    while True:
        part = export_page(members, "segment", "vip", 100, cursor, max_bytes=three)
        by_size += list(csv.DictReader(io.StringIO(part.csv)))
        sizes.append(part.members)
        if part.next is None:
            break
        cursor = part.next
    assert by_size == rows and len(sizes) >= 4 and all(1 <= n <= 3 for n in sizes), sizes


def test_a_tag_exports_in_pages_bounded_by_size(side: Side) -> None:
    members = MemberRepository(side.table, side.client("dynamodb"))
    ids = sorted(a_member(members, n) for n in range(9))
    for n in range(9):
        event = CanonicalEvent.model_validate({
            "id": f"t-{n}", "type": "tag.added", "time": (NOW + timedelta(minutes=1)).isoformat(),
            "member": {"email": f"m{n}@example.com"}, "data": {"tag": "回購"},
        })  # fmt: skip
        apply_event(event, members, NOW, ZONE, member_id_key=KEY)
    whole = export_page(members, "tag", "回購", 100, None)
    rows = list(csv.DictReader(io.StringIO(whole.csv)))
    assert sorted(r["member_id"] for r in rows) == ids and {r["tags"] for r in rows} == {"回購"}
    lines = whole.csv.splitlines(keepends=True)
    two = len(json.dumps("".join(lines[:3]))) - 2
    paged: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        part = export_page(members, "tag", "回購", 100, cursor, max_bytes=two)
        assert 1 <= part.members <= 2
        paged += list(csv.DictReader(io.StringIO(part.csv)))
        if part.next is None:
            break
        cursor = part.next
    assert paged == rows
