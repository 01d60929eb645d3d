"""After an upgrade a marketer's counts must not drop: counters written by a stack from
before the shards moved into the partition key (`STATS#<journey>` with sort-key shards,
the sender's unsharded `STEP#<step>`) are summed with the new `STATS#<journey>#e<n>`
ones by every reader (`kairos stats` via the engine store, the sender's counters)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.store.deliveries import DeliveryStore
from kairos.store.enrolments import EngineStore
from kairos.store.records import Commit, StepCounter
from tests.contract.conftest import Side

AT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


def put(side: Side, pk: str, sk: str, **values: Any) -> None:
    side.client("dynamodb").put_item(
        TableName=side.table, Item=to_item({"pk": pk, "sk": sk, **values})
    )


def legacy_counters(side: Side) -> None:
    """What the previous layout left in the table for journey `welcome`."""
    put(side, "STATS#welcome", "STEP#-#e0", entered=3, converted=1, revenue=1200)
    put(side, "STATS#welcome", "STEP#-#e2", entered=2)
    put(side, "STATS#welcome", "STEP#greet#e1", entered=5)
    put(side, "STATS#welcome", "STEP#greet", sent=4, sent_line=4)  # the sender's
    put(side, "STATS#welcome", "HOUR#2026-03-05T14#e0", entered=2)
    put(side, "STATS#welcome", "HOUR#2026-03-05T14#e3", entered=1, converted=1)


def new_outcomes(side: Side, engine: EngineStore, deliveries: DeliveryStore) -> None:
    for n in range(6):
        enrolment = Enrolment(
            id=f"e-{n}", journey="welcome", journey_version="v1", member_id=f"m-{n}",
            step="greet", entered_at=AT, updated_at=AT,
        )  # fmt: skip
        counters = Counter(
            {
                StepCounter("welcome", "-", "entered"): 1,
                StepCounter("welcome", "greet", "entered"): 1,
            }
        )
        assert engine.commit(Commit(enrolment=enrolment, counters=counters))
    deliveries.count({("welcome", "greet"): Counter(sent=6, sent_line=6)})


def test_counts_from_before_the_upgrade_still_count(side: Side) -> None:
    # Given counters under the legacy layout, then six enrolments and six sends since
    legacy_counters(side)
    engine = EngineStore(side.table, side.client("dynamodb"))
    deliveries = DeliveryStore(side.table, side.client("dynamodb"))
    new_outcomes(side, engine, deliveries)
    # Then the journey's totals are old plus new, per step and for the journey
    counters = engine.counters("welcome")
    assert counters["-"] == {"entered": 11, "converted": 1, "revenue": 1200}
    assert counters["greet"] == {"entered": 11, "sent": 10, "sent_line": 10}
    # And the hour series adds the legacy hour's shards to the new hour item
    assert engine.hourly("welcome", "2026-03-05T00", "2026-03-05T23") == {
        "2026-03-05T14": {"entered": 9, "converted": 1}
    }
    # And the sender's view of its step counts its legacy item too
    assert deliveries.counters("welcome", "greet") == {"entered": 6, "sent": 10, "sent_line": 10}


def test_new_counters_are_written_only_to_shard_partitions(side: Side) -> None:
    engine = EngineStore(side.table, side.client("dynamodb"))
    deliveries = DeliveryStore(side.table, side.client("dynamodb"))
    new_outcomes(side, engine, deliveries)
    client = side.client("dynamodb")
    legacy = client.query(
        TableName=side.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.legacy_stats_pk("welcome")}},
    )
    assert legacy["Items"] == []
    assert engine.counters("welcome")["greet"] == {"entered": 6, "sent": 6, "sent_line": 6}
