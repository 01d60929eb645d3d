"""The console's bounded reads on the emulator: members at a journey step a page at a
time, counts stopped at their cap, segment sizes that say when they are not exact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.store.journey_reads import BadCursor, JourneyReads
from kairos_dev.local.stack import LocalStack

ENTERED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _enrol(client: object, table: str, member_id: str, step: str, journey: str = "welcome") -> None:
    enrolment = Enrolment(
        id=f"e-{member_id}",
        journey=journey,
        journey_version="v1",
        member_id=member_id,
        state="waiting",
        step=step,
        pending="wait",
        wait_until=datetime(2026, 3, 21, 2, 0, tzinfo=UTC),
        entered_at=ENTERED,
    )
    item = {
        "pk": keys.member_pk(member_id),
        "sk": keys.enrolment_sk(journey, enrolment.id),
        "enrolment": enrolment.model_dump(mode="json"),
        "version": 1,
        "state": "waiting",
        "gsi1pk": keys.journey_pk(journey),
        "gsi1sk": f"{step}#{member_id}",
    }
    client.put_item(TableName=table, Item=to_item(item))  # type: ignore[attr-defined]


@pytest.fixture
def reads(stack: LocalStack) -> JourneyReads:
    """Given 7 members resting at `rest` and 2 at `rest_2` (a step id `rest` begins), 1
    at `rest` of another journey, and a segment of 12."""
    table, client = stack.tables["main"], stack.client("dynamodb")
    for i in range(7):
        _enrol(client, table, f"m{i:02d}", "rest")
    for i in range(2):
        _enrol(client, table, f"n{i:02d}", "rest_2")
    _enrol(client, table, "o00", "rest", journey="other")
    for i in range(12):
        item = {"pk": keys.segment_pk("vip"), "sk": keys.member_pk(f"s{i:02d}"),
                "member_id": f"s{i:02d}"}  # fmt: skip
        client.put_item(TableName=table, Item=to_item(item))
    return JourneyReads(table, client)


def test_members_at_a_step_come_a_page_at_a_time(reads: JourneyReads) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        found, cursor = reads.step_members("welcome", "rest", limit=3, cursor=cursor)
        seen.extend(e.member_id for e in found)
        pages += 1
        if cursor is None:
            break
    assert seen == [f"m{i:02d}" for i in range(7)]
    assert pages == 3
    assert all(c.isalnum() or c in "-_=" for c in str(cursor or "x"))


def test_a_count_stops_at_its_cap_and_a_size_says_when_it_is_not_exact(
    reads: JourneyReads,
) -> None:
    assert reads.waiting_count("welcome", "rest") == 7
    assert reads.waiting_count("welcome", "rest_2") == 2
    assert reads.waiting_count("welcome", "rest", cap=5) == 5
    assert reads.waiting_count("welcome", "nowhere") == 0
    assert reads.segment_size("vip") == (12, True)
    assert reads.segment_size("vip", cap=12) == (12, True)
    assert reads.segment_size("vip", cap=10) == (10, False)
    assert reads.segment_size("nobody") == (0, True)


def test_a_cursor_it_did_not_write_is_refused(reads: JourneyReads) -> None:
    with pytest.raises(BadCursor):
        reads.step_members("welcome", "rest", cursor="not-a-cursor")
