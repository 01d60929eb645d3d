"""Ingest's ports on both backends: the same events give the same members, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kairos.ingest.service import apply_event
from kairos.models.events import CanonicalEvent
from kairos.store.members import MemberRepository
from tests.contract.conftest import Side

ZONE = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KEY = b"contract-member-id-key"


def event(event_id: str, kind: str, member: dict[str, str], **data: object) -> CanonicalEvent:
    return CanonicalEvent.model_validate(
        {"id": event_id, "type": kind, "time": NOW.isoformat(), "member": member, "data": data}
    )


def repository(side: Side) -> MemberRepository:
    return MemberRepository(side.table, side.client("dynamodb"))


def test_an_event_applies_once_and_links_identifiers(side: Side) -> None:
    members = repository(side)
    follow = event("e1", "line.follow", {"line_user_id": "U-amy"})
    first = apply_event(follow, members, NOW, ZONE, member_id_key=KEY)
    again = apply_event(follow, members, NOW, ZONE, member_id_key=KEY)
    assert (first.status, again.status) == ("applied", "duplicate")
    linked = event("e2", "profile.updated", {"line_user_id": "U-amy"}, email="amy@example.com")
    assert apply_event(linked, members, NOW, ZONE, member_id_key=KEY).member_id == first.member_id
    assert members.find("email", "amy@example.com") == first.member_id
    member = members.get(first.member_id)
    assert member is not None and member.version == 2
    assert [e["kind"] for e in members.timeline(first.member_id)] == [
        "line.follow",
        "profile.updated",
    ]


def test_an_order_counts_once_and_a_cancellation_takes_it_back(side: Side) -> None:
    members = repository(side)
    who = {"email": "bo@example.com"}
    order = {"order_id": "o-1", "total": 1280, "currency": "TWD", "items": []}
    placed = apply_event(
        event("o1", "order.created", who, **order), members, NOW, ZONE, member_id_key=KEY
    )
    retried = apply_event(
        event("o1-again", "order.created", who, **order), members, NOW, ZONE, member_id_key=KEY
    )
    assert (placed.status, retried.status) == ("applied", "order_known")
    member = members.get(placed.member_id)
    assert member is not None and member.stats.order_count == 1
    cancel = event("c1", "order.cancelled", who, order_id="o-1")
    assert apply_event(cancel, members, NOW, ZONE, member_id_key=KEY).status == "applied"
    member = members.get(placed.member_id)
    assert member is not None and member.stats.order_count == 0


def test_a_race_is_read_again_not_lost(side: Side) -> None:
    # Given a store whose first commit loses to another writer
    members = repository(side)
    apply_event(
        event("r0", "line.follow", {"line_user_id": "U-cy"}), members, NOW, ZONE, member_id_key=KEY
    )
    original_state = members.state
    raced = {"done": False}

    def state_then_race(member_id: str, order_id: str | None, referrer_id: str | None, *erased):  # type: ignore[no-untyped-def]
        snapshot = original_state(member_id, order_id, referrer_id, *erased)
        if not raced["done"]:
            raced["done"] = True
            other = event("r-other", "tag.added", {"line_user_id": "U-cy"}, tag="vip")
            apply_event(other, repository(side), NOW, ZONE, member_id_key=KEY)
        return snapshot

    members.state = state_then_race  # type: ignore[method-assign]
    # When an event is applied
    result = apply_event(
        event("r1", "tag.added", {"line_user_id": "U-cy"}, tag="new"),
        members,
        NOW,
        ZONE,
        pause=lambda attempt: None,
        member_id_key=KEY,
    )
    # Then both changes are there
    member = members.get(result.member_id)
    assert member is not None and member.tags == ["new", "vip"]
