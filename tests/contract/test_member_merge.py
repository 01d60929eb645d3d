"""Merging two members on purpose, on both backends: aliases repointed, newest fields
win, tags united, statistics from both order histories, timelines joined, the absorbed
member's enrolments ended; idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kairos.engine.enrolment import Enrolment
from kairos.evaluator.timer_kinds import date_timer, segment_timer
from kairos.ingest.service import apply_event
from kairos.members.erase import erase, pending_timers
from kairos.members.merge import merge
from kairos.models.events import CanonicalEvent
from kairos.store.enrolments import EngineStore
from kairos.store.erasure import ErasureRepository
from kairos.store.members import MemberRepository
from kairos.store.merging import MergeRepository
from kairos.store.records import Commit
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


def test_merge_two_members_then_again(side: Side) -> None:
    members = MemberRepository(side.table, side.client("dynamodb"))

    def apply(e: CanonicalEvent) -> str:
        return apply_event(e, members, T0, ZONE, member_id_key=KEY).member_id

    line, mail = {"line_user_id": "U-amy"}, {"email": "amy@example.com"}
    keep = apply(event("a1", "profile.updated", line, 0, name="Amy (old)", city="Taipei"))
    apply(event("a2", "order.created", line, 1, order_id="o-1", total=100, currency="TWD"))
    apply(event("a3", "tag.added", line, 2, tag="vip"))
    absorb = apply(event("b1", "profile.updated", mail, 10, name="Amy Lin"))
    apply(event("b2", "order.created", mail, 11, order_id="o-2", total=50, currency="TWD"))
    apply(event("b3", "tag.added", mail, 12, tag="latte"))
    assert keep != absorb
    engine = EngineStore(side.table, side.client("dynamodb"))
    waiting = Enrolment(
        id="en-b", journey="welcome", journey_version="v1", member_id=absorb, state="waiting",
        step="wait", pending="wait", wait_until=T0 + timedelta(days=1), entered_at=T0,
    )  # fmt: skip
    # ABSORB's own date and segment-recheck timers go too (KEEP's evaluation sets KEEP's).
    own = [
        date_timer("birthday", absorb, T0 + timedelta(days=30)),
        segment_timer("dormant", absorb, T0 + timedelta(days=90)),
    ]
    assert engine.commit(Commit(enrolment=waiting, timers=[*pending_timers([waiting]), *own]))

    store = MergeRepository(side.table, side.client("dynamodb"))
    done = merge(keep, absorb, store, T0 + timedelta(hours=1), "CS-12")
    assert done.status == "merged"

    member = members.get(keep)
    assert member is not None
    assert member.profile["name"] == "Amy Lin"  # the newer field wins
    assert member.profile["city"] == "Taipei"
    assert member.identifiers == {"line_user_id": "U-amy", "email": "amy@example.com"}
    assert member.tags == ["latte", "vip"]
    assert (member.stats.order_count, member.stats.total_spent) == (2, 150)
    kinds = [e["kind"] for e in members.timeline(keep)]
    assert kinds.count("order.created") == 2 and kinds[-1] == "member.merged"
    assert members.find("email", "amy@example.com") == keep
    assert members.get(absorb) is None
    assert members.tagged("latte") == ([keep], None)
    items = side.client("dynamodb").scan(TableName=side.table)["Items"]
    left = [i for i in items if absorb in json.dumps(i) and "member.merged" not in json.dumps(i)]
    assert left == []  # its enrolment, timer, index entries and partition are gone

    assert merge(keep, absorb, store, T0, "CS-12").status == "absent"
    later = apply(event("b4", "tag.added", mail, 30, tag="regular"))
    assert later == keep


def test_erasing_a_merged_member_removes_the_absorbed_identifiers(side: Side) -> None:
    """Both members had an email: KEEP keeps its own, and the absorbed one's alias now
    points at KEEP. Erasing KEEP must remove it too, or that email still finds the
    erased member's id."""
    members = MemberRepository(side.table, side.client("dynamodb"))

    def apply(e: CanonicalEvent) -> str:
        return apply_event(e, members, T0, ZONE, member_id_key=KEY).member_id

    keep = apply(event("a1", "profile.updated", {"email": "amy@example.com"}, 0, name="Amy"))
    absorb = apply(event("b1", "profile.updated", {"email": "bo@example.com"}, 1, name="Bo"))
    # A changed address leaves the old alias pointing at the member as well.
    apply(event("a2", "profile.updated", {"email": "amy@example.com"}, 2, email="amy@new.tw"))
    store = MergeRepository(side.table, side.client("dynamodb"))
    assert merge(keep, absorb, store, T0 + timedelta(hours=1), "CS-1").status == "merged"
    assert members.find("email", "bo@example.com") == keep

    done = erase(keep, ErasureRepository(side.table, side.client("dynamodb")), T0, "DSR-1",
                 member_id_key=KEY)  # fmt: skip
    assert done.status == "erased"
    assert members.find("email", "bo@example.com") is None
    assert members.find("email", "amy@example.com") is None
    items = json.dumps(side.client("dynamodb").scan(TableName=side.table)["Items"])
    for personal in ("bo@example.com", "amy@example.com", "amy@new.tw", "Amy", "Bo"):
        assert personal not in items
