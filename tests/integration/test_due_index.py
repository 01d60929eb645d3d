"""The due index: timers come back when due, never before, and catch-up skips nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from kairos.store.timers import DueIndex, Timer, hour_bucket
from kairos_dev.local.stack import LocalStack


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def index(stack: LocalStack) -> DueIndex:
    return DueIndex(stack.tables["main"], stack.client("dynamodb"))


def test_a_timer_is_due_only_from_its_time(stack: LocalStack) -> None:
    due = index(stack)
    due.put(Timer("t1", at("2026-03-01T09:00:00+08:00"), "step", "m-1", {"step": "wait-7"}))
    bucket = hour_bucket(at("2026-03-01T09:00:00+08:00"))
    assert due.due(bucket, at("2026-03-01T08:59:59+08:00")) == []
    [found] = due.due(bucket, at("2026-03-01T09:00:00+08:00"))
    assert (found.timer.timer_id, found.timer.payload) == ("t1", {"step": "wait-7"})


def test_deleting_is_once(stack: LocalStack) -> None:
    due = index(stack)
    due.put(Timer("t1", at("2026-03-01T09:00:00+08:00"), "step"))
    [found] = due.due(hour_bucket(found_time := at("2026-03-01T09:00:00+08:00")), found_time)
    assert due.delete(found) is True
    assert due.delete(found) is False


def test_shards_spread_timers_and_all_come_back(stack: LocalStack) -> None:
    due = index(stack)
    base = at("2026-03-01T09:00:00+08:00")
    for i in range(40):
        due.put(Timer(f"t{i}", base + timedelta(seconds=i), "step"))
    found = due.due(hour_bucket(base), base + timedelta(minutes=59))
    assert sorted(f.timer.timer_id for f in found) == sorted(f"t{i}" for i in range(40))
    assert len({f.pk for f in found}) == due.shards


def test_catching_up_over_months_reads_the_directory(stack: LocalStack) -> None:
    due = index(stack)
    due.put(Timer("spring", at("2026-03-15T09:00:00+08:00"), "step"))
    due.put(Timer("summer", at("2026-07-01T09:00:00+08:00"), "step"))
    due.set_cursor(hour_bucket(at("2026-03-01T00:00:00+00:00")))
    buckets = due.buckets_to_visit(due.cursor(), at("2026-08-01T00:00:00+00:00"))
    # Only the two hours that hold timers, then the current hour: not ~3,600 hours.
    assert buckets == ["2026-03-15T01", "2026-07-01T01", "2026-08-01T00"]


def test_short_gaps_enumerate_every_hour(stack: LocalStack) -> None:
    due = index(stack)
    buckets = due.buckets_to_visit("2026-03-01T01", at("2026-03-01T03:30:00+00:00"))
    assert buckets == ["2026-03-01T01", "2026-03-01T02", "2026-03-01T03"]


def test_the_cursor_never_moves_backwards(stack: LocalStack) -> None:
    due = index(stack)
    due.set_cursor("2026-03-01T05")
    due.set_cursor("2026-03-01T04")
    assert due.cursor() == "2026-03-01T05"


def test_a_first_tick_finds_timers_written_before_it(stack: LocalStack) -> None:
    # Given timers written before the scheduler ever ran (no cursor yet)
    due = index(stack)
    due.put(Timer("early", at("2026-03-01T08:30:00+08:00"), "step"))
    # When the first tick comes hours later, in another hour bucket
    buckets = due.buckets_to_visit(due.cursor(), at("2026-03-01T11:05:00+08:00"))
    # Then the timer's bucket is visited
    assert "2026-03-01T00" in buckets and buckets[-1] == "2026-03-01T03"


def test_a_process_lists_an_hour_in_the_directory_once(stack: LocalStack) -> None:
    # Given one process putting many timers into the same hour, and one into another
    due = index(stack)
    base = at("2026-03-15T09:00:00+08:00")
    writes = []
    original = due.client.transact_write_items

    def transact(**kwargs: object) -> object:
        writes.append(kwargs["TransactItems"])
        return original(**kwargs)

    due.client.transact_write_items = transact
    for i in range(5):
        due.put(Timer(f"t{i}", base + timedelta(minutes=i), "step"))
    due.put(Timer("later", base + timedelta(hours=1), "step"))
    # Then the day directory is written for the first timer of each hour only
    directory = [
        [i for i in items if "Update" in i and i["Update"]["Key"]["pk"]["S"] == "DUEDAY#2026-03-15"]
        for items in writes
    ]
    assert [len(d) for d in directory] == [1, 0, 0, 0, 0, 1]
    # And a fresh process (another Lambda container) still finds both hours
    other = index(stack)
    other.set_cursor(hour_bucket(at("2026-03-01T00:00:00+00:00")))
    buckets = other.buckets_to_visit(other.cursor(), at("2026-04-01T00:00:00+00:00"))
    assert buckets == ["2026-03-15T01", "2026-03-15T02", "2026-04-01T00"]


def test_timers_listed_by_an_earlier_version_are_still_found(stack: LocalStack) -> None:
    # Given a timer an earlier version wrote, listed only in its month directory
    due = index(stack)
    old = Timer("from-before", at("2026-03-20T09:00:00+08:00"), "step")
    stack.client("dynamodb").put_item(TableName=due.table, Item=due.put_request(old)["Put"]["Item"])
    stack.client("dynamodb").update_item(
        TableName=due.table,
        Key={"pk": {"S": "DUEMONTH#2026-03"}, "sk": {"S": "DUEMONTH"}},
        UpdateExpression="ADD buckets :b",
        ExpressionAttributeValues={":b": {"SS": ["2026-03-20T01"]}},
    )
    due.put(Timer("new", at("2026-04-02T09:00:00+08:00"), "step"))
    # When the scheduler catches up over the upgrade
    due.set_cursor("2026-03-01T00")
    buckets = due.buckets_to_visit(due.cursor(), at("2026-05-01T00:00:00+00:00"))
    # Then both the old month's listing and the new day's are visited
    assert buckets == ["2026-03-20T01", "2026-04-02T01", "2026-05-01T00"]
