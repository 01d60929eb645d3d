"""Erasing a member on both backends: nothing personal is left anywhere in the table (the
test scans; the code does not), counts stay, and the member does not come back from a
late event unless that event is a new consent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kairos.delivery.model import Outcome
from kairos.engine.enrolment import Enrolment
from kairos.evaluator.timer_kinds import date_timer, segment_timer
from kairos.ingest.service import apply_event
from kairos.members.erase import erase, find_member, pending_timers
from kairos.models.events import CanonicalEvent
from kairos.store.deliveries import DeliveryStore
from kairos.store.enrolments import EngineStore
from kairos.store.erasure import ErasureRepository
from kairos.store.members import MemberRepository
from kairos.store.records import Commit, SegmentMember, StepCounter
from tests.contract.conftest import Side

ZONE = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KEY = b"contract-member-id-key"
PERSONAL = ("amy@example.com", "U-amy", "+886912345678", "Amy Lin", "cust-77")


def event(event_id: str, kind: str, member: dict[str, str], **data: object) -> CanonicalEvent:
    return CanonicalEvent.model_validate(
        {"id": event_id, "type": kind, "time": NOW.isoformat(), "member": member, "data": data}
    )


def scan(side: Side) -> list[dict[str, Any]]:
    client = side.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": side.table}
    while True:
        response = client.scan(**kwargs)
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def a_full_member(side: Side) -> str:
    """A member with every kind of item: profile, aliases, timeline, an order, an
    enrolment waiting on a due timer, a segment entry, a delivery and its window."""
    members = MemberRepository(side.table, side.client("dynamodb"))
    who = {"line_user_id": "U-amy"}
    member_id = apply_event(
        event("e1", "line.follow", who), members, NOW, ZONE, member_id_key=KEY
    ).member_id
    updates = {"email": "amy@example.com", "phone": "+886912345678", "name": "Amy Lin"}
    apply_event(event("e2", "profile.updated", who, **updates), members, NOW, ZONE,
                member_id_key=KEY)  # fmt: skip
    order = {"order_id": "o-1", "total": 1280, "currency": "TWD", "items": []}
    apply_event(event("e3", "order.created", {**who, "external_id": "cust-77"}, **order),
                members, NOW, ZONE, member_id_key=KEY)  # fmt: skip
    apply_event(event("e4", "tag.added", who, tag="vip"), members, NOW, ZONE, member_id_key=KEY)
    engine = EngineStore(side.table, side.client("dynamodb"))
    waiting = Enrolment(
        id="en-1", journey="welcome", journey_version="v1", member_id=member_id,
        state="waiting", step="wait-1d", pending="wait", wait_until=NOW + timedelta(days=1),
        entered_at=NOW,
    )  # fmt: skip
    # The member's own timers no enrolment names: a birthday journey's next firing (and
    # an older one, set before the birthday was corrected) and a segment recheck.
    own = [
        date_timer("birthday", member_id, NOW + timedelta(days=40)),
        date_timer("birthday", member_id, NOW + timedelta(days=200)),
        segment_timer("dormant", member_id, NOW + timedelta(days=90)),
    ]
    assert engine.commit(
        Commit(
            enrolment=waiting,
            timers=[*pending_timers([waiting]), *own],
            segments={SegmentMember("vips", member_id): True},
            counters=Counter({StepCounter("welcome", "-", "entered"): 1}),
        )
    )
    deliveries = DeliveryStore(side.table, side.client("dynamodb"))
    sent = Outcome(
        delivery_id="d-1", member_id=member_id, journey="welcome", step="hello",
        template="hello", enrolment_id="en-1", status="sent", time=NOW, channel="line",
        provider_message_id="line-msg-1", text="Hi Amy Lin",
    )  # fmt: skip
    deliveries.record([sent])
    assert deliveries.put_window(
        member_id, {"d-1": int(NOW.timestamp())}, deliveries.get_window(member_id)
    )
    return member_id


def personal_traces(side: Side, member_id: str) -> list[dict[str, Any]]:
    return [
        item
        for item in scan(side)
        if any(s in json.dumps(item, ensure_ascii=False) for s in (*PERSONAL, member_id))
    ]


def test_erase_leaves_nothing_personal_and_keeps_counts(side: Side) -> None:
    member_id = a_full_member(side)
    assert personal_traces(side, member_id)  # the test sees them before
    store = ErasureRepository(side.table, side.client("dynamodb"))
    done = erase(member_id, store, NOW, "ticket-42", member_id_key=KEY, segment_ids=["vips"])
    assert done.status == "erased"
    assert (done.timers, done.deliveries, done.identifiers) == (4, 1, 4)
    assert personal_traces(side, member_id) == []
    left = {item["pk"]["S"].split("#")[0] for item in scan(side)}
    assert left == {"EVENT", "ERASED", "DELIVERY", "STATS", "DUEDAY"}
    record = DeliveryStore(side.table, side.client("dynamodb")).delivery("d-1")
    assert record is not None and (record["status"], record["channel"]) == ("sent", "line")
    tombstones = [i for i in scan(side) if i["pk"]["S"].startswith("ERASED#")]
    assert {i["request"]["S"] for i in tombstones} == {"ticket-42"}
    assert find_member(store, "email", "amy@example.com", KEY) == (None, True)


def test_erase_again_changes_nothing(side: Side) -> None:
    member_id = a_full_member(side)
    store = ErasureRepository(side.table, side.client("dynamodb"))
    erase(member_id, store, NOW, "ticket-42", member_id_key=KEY, segment_ids=["vips"])
    before = sorted(json.dumps(i, sort_keys=True) for i in scan(side))
    again = erase(member_id, store, NOW, "ticket-42", member_id_key=KEY, segment_ids=["vips"])
    assert again.status == "absent"
    assert sorted(json.dumps(i, sort_keys=True) for i in scan(side)) == before


def test_a_late_event_does_not_bring_the_member_back_but_a_new_consent_does(side: Side) -> None:
    member_id = a_full_member(side)
    erase(member_id, ErasureRepository(side.table, side.client("dynamodb")), NOW, "t-1",
          member_id_key=KEY, segment_ids=["vips"])  # fmt: skip
    members = MemberRepository(side.table, side.client("dynamodb"))
    late = event("late-order", "order.created", {"email": "amy@example.com"},
                 order_id="o-2", total=10, currency="TWD", items=[])  # fmt: skip
    assert apply_event(late, members, NOW, ZONE, member_id_key=KEY).status == "erased"
    assert members.find("email", "amy@example.com") is None
    assert personal_traces(side, member_id) == []
    consent = event("signup", "profile.updated", {"email": "amy@example.com"},
                    consent={"email": True})  # fmt: skip
    back = apply_event(consent, members, NOW, ZONE, member_id_key=KEY)
    assert back.status == "applied"
    member = members.get(back.member_id)
    assert member is not None and member.stats.order_count == 0 and member.tags == []
    refollow = event("refollow", "line.follow", {"line_user_id": "U-amy"})
    assert apply_event(refollow, members, NOW, ZONE, member_id_key=KEY).status == "applied"
