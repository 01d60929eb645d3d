"""The console's search indexes on both backends: names and joining order written in
the event's own transaction (no request of their own), found by Query, and gone with an
erased or absorbed member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kairos.console.search import search
from kairos.ingest.service import apply_event
from kairos.members.erase import erase
from kairos.members.merge import merge
from kairos.models.events import CanonicalEvent
from kairos.store.capacity import item_size
from kairos.store.codec import to_attr
from kairos.store.members import MemberRepository
from kairos.store.merging import MergeRepository
from kairos.store.search_index import JOINED_SHARDS
from tests.contract.conftest import Side

ZONE = ZoneInfo("Asia/Taipei")
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KEY = b"contract-member-id-key"


def event(
    event_id: str, kind: str, member: dict[str, str], minutes: int, **data: object
) -> CanonicalEvent:
    when = (T0 + timedelta(minutes=minutes)).isoformat()
    return CanonicalEvent.model_validate(
        {"id": event_id, "type": kind, "time": when, "member": member, "data": data}
    )


def index_items(side: Side) -> list[dict[str, Any]]:
    """Every name and joined entry (a scan: the test looks, the code never does)."""
    client = side.client("dynamodb")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": side.table}
    while True:
        response = client.scan(**kwargs)
        found += [i for i in response["Items"] if i["pk"]["S"].startswith(("NAME#", "JOINED#"))]
        if "LastEvaluatedKey" not in response:
            return found
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class World:
    def __init__(self, side: Side) -> None:
        self.side = side
        self.members = MemberRepository(side.table, side.client("dynamodb"))

    def apply(self, e: CanonicalEvent) -> str:
        return apply_event(e, self.members, T0, ZONE, member_id_key=KEY).member_id

    def found(self, q: str, limit: int = 50) -> list[str]:
        return search(self.members, q, limit=limit).member_ids


def test_members_are_found_by_identifier_and_by_the_start_of_either_name(side: Side) -> None:
    world = World(side)
    mei = world.apply(
        event("e1", "profile.updated", {"phone": "+886912345678"}, 0, name="陳小美",
              line_display_name="Mei 🌸", email="Mei@Example.com")
    )  # fmt: skip
    wen = world.apply(event("e2", "profile.updated", {"line_user_id": "U" + "a" * 32}, 1,
                            name="陳大文"))  # fmt: skip
    crm = world.apply(event("e3", "profile.updated", {"external_id": "crm-42"}, 2, name="林"))
    assert world.found("0912-345-678") == [mei]
    assert world.found("+886 912 345 678") == [mei]
    assert world.found("MEI@example.com") == [mei]
    assert world.found("U" + "a" * 32) == [wen]
    assert world.found("crm-42") == [crm]
    assert world.found(crm) == [crm]
    assert world.found("陳") == [wen, mei]
    assert world.found("ＭＥＩ") == [mei]
    assert world.found("nobody") == []


def test_a_changed_name_moves_and_a_late_older_one_does_not(side: Side) -> None:
    world = World(side)
    who = {"email": "amy@example.com"}
    amy = world.apply(event("n1", "profile.updated", who, 0, name="Amy Chen"))
    world.apply(event("n2", "profile.updated", who, 10, name="Amy Lin"))
    world.apply(event("n0", "profile.updated", who, 5, name="Amy Wu"))  # late, older
    assert world.found("amy lin") == [amy]
    assert world.found("amy chen") == [] and world.found("amy wu") == []
    names = [i for i in index_items(side) if i["pk"]["S"].startswith("NAME#")]
    assert len(names) == 1


def test_newest_members_first_across_the_shards_a_page_at_a_time(side: Side) -> None:
    world = World(side)
    ids = [
        world.apply(event(f"j{n}", "tag.added", {"email": f"m{n}@example.com"}, n, tag="x"))
        for n in range(23)
    ]
    # A late event from before a member joined moves it back in the list.
    world.apply(event("j-early", "tag.added", {"email": "m22@example.com"}, -60, tag="y"))
    expected = [*reversed(ids[:22]), ids[22]]
    listed: list[str] = []
    cursor: str | None = None
    while True:
        page = search(world.members, "", limit=5, cursor=cursor)
        assert len(page.member_ids) <= 5
        listed += page.member_ids
        cursor = page.next
        if cursor is None:
            break
    assert listed == expected
    shards = {i["pk"]["S"] for i in index_items(side) if i["pk"]["S"].startswith("JOINED#")}
    assert 1 < len(shards) <= JOINED_SHARDS


def test_hostile_names_are_indexed_small_or_not_at_all(side: Side) -> None:
    world = World(side)
    hostile = [
        "\x00\x1b[2J",
        "長" * 10_000,
        "👩‍👩‍👧‍👦" * 3 + "x",
        "<script>alert(1)</script>",
        " \t ",
    ]
    ids = [
        world.apply(event(f"h{n}", "profile.updated", {"email": f"h{n}@example.com"}, n, name=name))
        for n, name in enumerate(hostile)
    ]
    assert all(item_size(i) < 400 for i in index_items(side))
    assert world.found("長長長") == [ids[1]]
    assert world.found("👩") == [ids[2]]
    assert world.found("<script>") == [ids[3]]
    assert world.found("\x1b[2J") == [ids[0]]  # the control characters are not part of it


def test_erase_and_merge_take_the_entries_with_the_member(side: Side) -> None:
    world = World(side)
    keep = world.apply(event("k1", "tag.added", {"line_user_id": "U-keep"}, 30, tag="vip"))
    absorb = world.apply(event("a1", "profile.updated", {"email": "b@example.com"}, 0,
                               name="Bea Absorbed"))  # fmt: skip
    gone = world.apply(event("g1", "profile.updated", {"email": "g@example.com"}, 5, name="Gone"))
    admin = MergeRepository(side.table, side.client("dynamodb"))
    erase(gone, admin, T0, "ticket-1", member_id_key=KEY)
    assert world.found("gone") == []
    merge(keep, absorb, admin, T0, "ticket-2")
    assert world.found("bea") == [keep]  # ABSORB's name is KEEP's now
    assert search(world.members, "", limit=10).member_ids == [keep]
    joined = [i for i in index_items(side) if i["pk"]["S"].startswith("JOINED#")]
    assert [i["member_id"] for i in joined] == [to_attr(keep)]
    assert joined[0]["sk"]["S"].startswith("2026-03-01T02:00:00")  # ABSORB's, the earlier


def test_a_new_named_member_costs_three_requests(side: Side) -> None:
    if side.name != "memory":
        return  # the memory backend counts requests
    world = World(side)
    dynamodb = side.provider.aws.dynamodb
    before = sum(dynamodb.requests.values())
    world.apply(event("r1", "profile.updated", {"email": "r@example.com"}, 0, name="陳小美"))
    world.apply(event("r2", "profile.updated", {"email": "r@example.com"}, 1, name="陳美"))
    assert sum(dynamodb.requests.values()) - before == 6


def test_members_written_before_the_indexes_are_found_after_a_reindex(side: Side) -> None:
    world = World(side)
    who = world.apply(
        event("o1", "profile.updated", {"email": "old@example.com"}, 0, name="舊會員")
    )
    client = side.client("dynamodb")
    for item in index_items(side):  # as a table from before the indexes holds it
        client.delete_item(TableName=side.table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert world.found("舊") == [] and search(world.members, "", limit=5).member_ids == []
    assert world.members.reindex_search() == 1
    assert world.found("舊") == [who]
    assert search(world.members, "", limit=5).member_ids == [who]
