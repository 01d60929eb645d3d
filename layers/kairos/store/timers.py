"""The due index: every wait, date trigger and deferred send is a timer item here.

Layout (keys.py): `DUE#<UTC hour>#<shard>` / `<iso due>#<timer id>`. Timers spread over
`shards` partitions per hour so a burst of due timers does not make one hot partition;
a day directory (`DUEDAY#<yyyy-mm-dd>`, a string set of at most 24 hour buckets) lets a
scheduler that was away for weeks — or the simulator jumping ahead — find the non-empty
hours with one BatchGetItem per 100 days instead of one Query per hour. A process adds a
bucket to the directory once (`listed`), not with every timer in it; a day's item stays
under 1 KB, so an addition is one write unit (the month directories of earlier versions,
`DUEMONTH#<yyyy-mm>`, grew to ~10 KB and were the brand's hottest key; they are still
read, so timers they list are found after an upgrade).

A tick at `now` (the scheduled event's time):
1. GetItem the cursor: the first hour bucket not yet fully processed.
2. The hours from the cursor to now's hour: enumerated when at most two hours, otherwise
   read from the day directories (and the legacy month directories).
3. Query each (hour, shard) with `sk <= now`: work is O(due timers), never O(members).
4. The caller processes each timer and deletes it (`delete`); the cursor moves to now's
   hour only when every earlier bucket was emptied, so a failed timer is retried at the
   next tick and a missed tick is caught up, never skipped.

Callers give and get typed timers (`Timer`, `DueTimer` in records.py); the items and
transaction parts (`put_request`, `delete_request`, `directory_requests`) are for the
engine store's transactions only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.clock import hour_bucket, iso, utc
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.records import DueTimer, Timer

__all__ = ["ENUMERATE_HOURS", "DueIndex", "DueTimer", "Timer", "hour_bucket"]

ENUMERATE_HOURS = 2


def _bucket_time(bucket: str) -> datetime:
    return datetime.strptime(bucket + "+0000", "%Y-%m-%dT%H%z")


class DueIndex:
    def __init__(self, table: str, client: Any | None = None, shards: int = 4) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")
        self.shards = shards
        self.listed: set[str] = set()
        """Hour buckets this process committed to their day's directory. The directory
        only grows (ADD, never removed), so adding a bucket again changes nothing but
        a write on one partition shared by every timer of the day."""

    def _shard(self, timer_id: str) -> int:
        return int(hashlib.sha256(timer_id.encode()).hexdigest()[:8], 16) % self.shards

    def locate(self, timer: Timer) -> DueTimer:
        """Where this timer is (or will be) held: what `delete` and a commit's consumed
        timer need, without reading it back."""
        return DueTimer(
            timer=timer,
            pk=keys.due_pk(hour_bucket(timer.due_at), self._shard(timer.timer_id)),
            sk=keys.due_sk(iso(timer.due_at), timer.timer_id),
        )

    def _item(self, timer: Timer) -> dict[str, Any]:
        where = self.locate(timer)
        return to_item(
            {
                "pk": where.pk,
                "sk": where.sk,
                "timer_id": timer.timer_id,
                "due_at": utc(timer.due_at).isoformat(),
                "kind": timer.kind,
                "member_id": timer.member_id,
                "payload": timer.payload,
            }
        )

    def put_request(self, timer: Timer) -> dict[str, Any]:
        """The Put of this timer, for the engine store's transaction."""
        return {"Put": {"TableName": self.table, "Item": self._item(timer)}}

    def directory_requests(self, buckets: Iterable[str]) -> list[dict[str, Any]]:
        """The Updates (ADD to each day's set of hour buckets) that go with timer items
        in these buckets: one per day, as a transaction may touch an item only once."""
        days: dict[str, set[str]] = {}
        for bucket in buckets:
            if bucket not in self.listed:
                days.setdefault(bucket[:10], set()).add(bucket)
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": to_attr(keys.due_day_pk(day)), "sk": to_attr(keys.DUEDAY_SK)},
                    "UpdateExpression": "ADD buckets :b",
                    "ExpressionAttributeValues": {":b": {"SS": sorted(members)}},
                }
            }
            for day, members in sorted(days.items())
        ]

    def committed(self, items: Iterable[dict[str, Any]]) -> None:
        """A transaction with these items succeeded: remember the buckets it listed."""
        for item in items:
            update = item.get("Update")
            if update and update["Key"]["pk"]["S"].startswith("DUEDAY#"):
                self.listed.update(update["ExpressionAttributeValues"][":b"]["SS"])

    def put(self, timer: Timer) -> None:
        items = [self.put_request(timer), *self.directory_requests([hour_bucket(timer.due_at)])]
        self.client.transact_write_items(TransactItems=items)
        self.committed(items)

    def delete(self, due: DueTimer) -> bool:
        """Remove a processed timer; False if another tick already removed it."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": to_attr(due.pk), "sk": to_attr(due.sk)},
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_request(self, due: DueTimer) -> dict[str, Any]:
        """The Delete for the engine store's transaction (fails it if the timer is gone)."""
        return {
            "Delete": {
                "TableName": self.table,
                "Key": {"pk": to_attr(due.pk), "sk": to_attr(due.sk)},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }

    # ---- scheduler ------------------------------------------------------------------

    def cursor(self) -> str | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.CURSOR_PK), "sk": to_attr(keys.CURSOR_SK)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return str(from_item(item)["bucket"]) if item else None

    def set_cursor(self, bucket: str) -> None:
        # Never move backwards: two overlapping ticks must not undo each other.
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item({"pk": keys.CURSOR_PK, "sk": keys.CURSOR_SK, "bucket": bucket}),
                ConditionExpression="attribute_not_exists(pk) OR #b < :b",
                ExpressionAttributeNames={"#b": "bucket"},
                ExpressionAttributeValues={":b": to_attr(bucket)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def buckets_to_visit(self, start: str | None, now: datetime) -> list[str]:
        current = hour_bucket(now)
        if start is None:
            # A first tick (no cursor yet) looks back a month through the directory, so
            # timers written before the schedule first ran are not skipped.
            start = hour_bucket(now - timedelta(days=31))
        if start >= current:
            return [current]
        first = _bucket_time(start)
        hours = int((_bucket_time(current) - first).total_seconds() // 3600)
        if hours <= ENUMERATE_HOURS:
            return [hour_bucket(first + timedelta(hours=h)) for h in range(hours + 1)]
        last = _bucket_time(current)
        wanted: list[tuple[str, str]] = []
        day = first.replace(hour=0)
        while day <= last:
            wanted.append((keys.due_day_pk(day.strftime("%Y-%m-%d")), keys.DUEDAY_SK))
            day += timedelta(days=1)
        month = first.replace(day=1, hour=0)
        while month <= last:  # earlier versions' month directories
            wanted.append((keys.due_month_pk(month.strftime("%Y-%m")), keys.DUEMONTH_SK))
            month = (month + timedelta(days=32)).replace(day=1)
        listed: set[str] = set()
        for item in batch_get(self.client, self.table, wanted).values():
            listed.update(item["buckets"]["SS"])
        return [*sorted(b for b in listed if start <= b < current), current]

    def due(self, bucket: str, now: datetime, limit: int = 500) -> list[DueTimer]:
        """Timers of one hour bucket due at or before `now`, oldest first."""
        upper = iso(now) + "#\uffff"
        found: list[DueTimer] = []
        for shard in range(self.shards):
            pk = keys.due_pk(bucket, shard)
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND sk <= :now",
                "ExpressionAttributeValues": {":pk": to_attr(pk), ":now": to_attr(upper)},
                "ConsistentRead": True,
                "Limit": limit,
            }
            while True:
                response = self.client.query(**kwargs)
                for raw in response.get("Items", []):
                    values = from_item(raw)
                    timer = Timer(
                        timer_id=values["timer_id"],
                        due_at=datetime.fromisoformat(values["due_at"]),
                        kind=values["kind"],
                        member_id=values.get("member_id"),
                        payload=values.get("payload") or {},
                    )
                    found.append(DueTimer(timer=timer, pk=pk, sk=values["sk"]))
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(found, key=lambda d: d.sk)
