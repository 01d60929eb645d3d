"""Journey counters live in `STATS#<journey>#e<n>` partitions: the evaluator's commit
items put an outcome's counters in one shard, and shards spread a journey's writes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.commit_items import CommitItems
from kairos.store.records import Commit, StepCounter
from kairos.store.timers import DueIndex

AT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


def enrolment(enrolment_id: str) -> Enrolment:
    return Enrolment(
        id=enrolment_id,
        journey="welcome",
        journey_version="v1",
        member_id="m-1",
        step="greet",
        entered_at=AT,
        updated_at=AT,
    )


def counter_updates(change: Commit) -> list[tuple[str, str, dict[str, str]]]:
    items = CommitItems("main", DueIndex("main", client=object()), 730).items(change)
    return [
        (u["Key"]["pk"]["S"], u["Key"]["sk"]["S"], u["ExpressionAttributeNames"])
        for u in (i["Update"] for i in items if "Update" in i)
    ]


def test_an_outcomes_counters_go_to_one_shard_partition_with_plain_sort_keys() -> None:
    # Given an outcome that enters an enrolment and advances a step
    change = Commit(
        enrolment=enrolment("e-42"),
        counters=Counter(
            {
                StepCounter("welcome", "-", "entered"): 1,
                StepCounter("welcome", "greet", "entered"): 1,
            }
        ),
    )
    # Then every counter item is in the outcome's shard of the journey (its enrolment
    # and version), keyed by the step or the UTC hour alone (the shard is in the pk now)
    shard = keys.stats_shard("e-42#0")
    pk = f"STATS#welcome#e{shard}"
    assert sorted((p, s) for p, s, _ in counter_updates(change)) == [
        (pk, "HOUR#2026-03-05T14"),
        (pk, "STEP#-"),
        (pk, "STEP#greet"),
    ]


def test_shards_spread_a_journeys_outcomes_over_every_partition() -> None:
    # Given many outcomes of one journey (enrolment id and version)
    shards = Counter(keys.stats_shard(f"enrolment-{i // 4}#{i % 4}") for i in range(16_000))
    # Then each of the journey's partitions takes a near-even share of them
    assert set(shards) == set(range(keys.STATS_SHARDS))
    even = 16_000 / keys.STATS_SHARDS
    assert all(0.85 * even < n < 1.15 * even for n in shards.values())


def test_readers_read_the_legacy_partition_and_every_shard() -> None:
    pks = keys.stats_pks("welcome")
    assert pks[0] == "STATS#welcome"
    assert pks[1:] == [f"STATS#welcome#e{n}" for n in range(keys.STATS_SHARDS)]


def test_sort_keys_of_both_layouts_name_their_step_and_hour() -> None:
    assert keys.step_from_sk("STEP#greet") == "greet"
    assert keys.step_from_sk("STEP#greet#e3") == "greet"  # legacy sort-key shard
    assert keys.hour_from_sk("HOUR#2026-03-05T14") == "2026-03-05T14"
    assert keys.hour_from_sk("HOUR#2026-03-05T14#e1") == "2026-03-05T14"


def test_outcomes_that_count_without_an_enrolment_spread_too() -> None:
    # Given many outcomes that add to a journey's counters without writing an enrolment
    change = Commit(counters=Counter({StepCounter("welcome", "-", "skipped"): 1}))
    pks = {pk for _ in range(200) for pk, _, _ in counter_updates(change)}
    # Then they do not all land on one partition
    assert len(pks) > keys.STATS_SHARDS // 2
    assert all(pk.startswith("STATS#welcome#e") for pk in pks)
