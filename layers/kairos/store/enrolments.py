"""Journey state in DynamoDB: enrolments, segment membership, published journey versions
and step counters — written together, conditionally, in one transaction per change.

Access patterns (keys.py, docs/data-model.md):
- a member's enrolments: Query `MEMBER#<id>` begins_with `ENROL#`             (1 request)
- one enrolment (a due timer names it): GetItem                               (1 request)
- commit one outcome: TransactWriteItems — enrolment (`version` check or new),
  timers (+ month directory), the consumed timer's Delete, segment membership,
  counters (ADD), timeline entries                                            (1 request)
- who waits where: Query gsi1 `JOURNEY#<id>` (for `kairos journeys show`)
- a journey's counters: Query each `STATS#<id>#e<n>` shard and the legacy `STATS#<id>`
  begins_with `STEP#`; its hourly series: the same partitions, sk BETWEEN `HOUR#<from>`
  and `HOUR#<to>` (for `kairos stats`; keys.STATS_SHARDS + 1 requests each)
- a segment's members: Query `SEGMENT#<id>` (schedule triggers)
- a published journey version: GetItem `JOURNEY#<id>` / `V#<version>` (cached)

Callers give and get typed records (records.py): enrolments, `Commit`, `DueTimer`,
`DeliveryEngagement`; DynamoDB items stay in this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.commit_items import CommitItems
from kairos.store.members import member_from_item
from kairos.store.records import (
    Commit,
    DeliveryEngagement,
    MemberEnrolment,
)
from kairos.store.timers import DueIndex

__all__ = ["Commit", "EngineStore"]


class EngineStore:
    def __init__(
        self,
        table: str,
        client: Any | None = None,
        *,
        timeline_ttl_days: int = 730,
        due_shards: int = 4,
    ) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")
        self.due = DueIndex(table, self.client, shards=due_shards)
        self.writer = CommitItems(table, self.due, timeline_ttl_days)
        self.timeline_ttl_days = timeline_ttl_days
        self._versions: dict[tuple[str, str], dict[str, Any]] = {}

    # ---- reads ----------------------------------------------------------------------

    def enrolments(self, member_id: str) -> list[Enrolment]:
        found: list[Enrolment] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :enrol)",
            "ExpressionAttributeValues": {
                ":pk": to_attr(keys.member_pk(member_id)),
                ":enrol": to_attr("ENROL#"),
            },
            "ConsistentRead": True,
        }
        while True:
            response = self.client.query(**kwargs)
            found.extend(
                Enrolment.model_validate(from_item(i)["enrolment"]) for i in response["Items"]
            )
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def enrolment(self, member_id: str, journey_id: str, enrolment_id: str) -> Enrolment | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={
                "pk": to_attr(keys.member_pk(member_id)),
                "sk": to_attr(keys.enrolment_sk(journey_id, enrolment_id)),
            },
            ConsistentRead=True,
        )
        item = response.get("Item")
        return Enrolment.model_validate(from_item(item)["enrolment"]) if item else None

    def member_and_enrolment(
        self, member_id: str, journey_id: str, enrolment_id: str
    ) -> MemberEnrolment:
        """Both items of one member partition in a single BatchGetItem (a due step)."""
        pk = keys.member_pk(member_id)
        profile_sk = keys.PROFILE_SK
        enrolment_sk = keys.enrolment_sk(journey_id, enrolment_id)
        items = batch_get(self.client, self.table, [(pk, profile_sk), (pk, enrolment_sk)])
        found = {sk: item for (_, sk), item in items.items()}
        member = member_from_item(found[profile_sk]) if profile_sk in found else None
        enrolment = (
            Enrolment.model_validate(from_item(found[enrolment_sk])["enrolment"])
            if enrolment_sk in found
            else None
        )
        return MemberEnrolment(member, enrolment)

    def deliveries(self, delivery_ids: Iterable[str]) -> dict[str, DeliveryEngagement]:
        """What became of these deliveries (one BatchGetItem per 100); unknown ids absent."""
        wanted = [(keys.delivery_pk(d), keys.DELIVERY_SK) for d in sorted(set(delivery_ids))]
        items = batch_get(self.client, self.table, wanted)
        return {
            values["delivery_id"]: DeliveryEngagement(
                status=values.get("status"),
                bounced="bounced_at" in values,
                opened="opened_at" in values,
                clicked="clicked_at" in values,
            )
            for values in map(from_item, items.values())
        }

    def mark_engagement(
        self, delivery_id: str, kind: str, at: str, counted_for: tuple[str, str] | None = None
    ) -> bool:
        """Record an open or click on a delivery (first time only). True if this was
        the first of its kind; False if marked before, or the delivery is unknown.
        `counted_for` (journey, step): the first also adds 1 to `kind` on that step's
        counters, in the same transaction, so a crash cannot mark without counting."""
        key = {"pk": to_attr(keys.delivery_pk(delivery_id)), "sk": to_attr(keys.DELIVERY_SK)}
        names = {"#k": f"{kind}_at"}
        if counted_for is None:
            try:
                response = self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #k = if_not_exists(#k, :at)",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={":at": to_attr(at)},
                    # The record as it was: an open or click already on it is not a first.
                    ReturnValues="ALL_OLD",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            return f"{kind}_at" not in response.get("Attributes", {})
        journey, step = counted_for
        shard = secrets.randbelow(keys.STATS_SHARDS)  # any: readers sum them all
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key,
                            "UpdateExpression": "SET #k = :at",
                            "ConditionExpression": (
                                "attribute_exists(pk) AND attribute_not_exists(#k)"
                            ),
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": {":at": to_attr(at)},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": {
                                "pk": to_attr(keys.stats_pk(journey, shard)),
                                "sk": to_attr(keys.step_sk(step)),
                            },
                            "UpdateExpression": "ADD #c :one",
                            "ExpressionAttributeNames": {"#c": kind},
                            "ExpressionAttributeValues": {":one": to_attr(1)},
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False  # marked before, or no such delivery
            raise
        return True

    def segment_members(self, segment_id: str) -> Iterator[str]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(keys.segment_pk(segment_id))},
            "ProjectionExpression": "member_id",
        }
        while True:
            response = self.client.query(**kwargs)
            for item in response.get("Items", []):
                yield item["member_id"]["S"]
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def in_segment(self, segment_id: str, member_id: str) -> bool:
        response = self.client.get_item(
            TableName=self.table,
            Key={
                "pk": to_attr(keys.segment_pk(segment_id)),
                "sk": to_attr(keys.member_pk(member_id)),
            },
            ConsistentRead=True,
        )
        return "Item" in response

    def waiting(self, journey_id: str) -> list[Enrolment]:
        """Live enrolments of a journey, by step (gsi1), for `kairos journeys show`."""
        found: list[Enrolment] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(keys.journey_pk(journey_id))},
        }
        while True:
            response = self.client.query(**kwargs)
            found.extend(
                Enrolment.model_validate(from_item(i)["enrolment"]) for i in response["Items"]
            )
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def counters(self, journey_id: str) -> dict[str, dict[str, float]]:
        """Step (or `-` for the journey) → counter name → total over shards and writers.
        Counts are whole numbers; `revenue…` counters are money."""
        totals: dict[str, dict[str, float]] = {}
        for values in self._stats(journey_id, "begins_with(sk, :a)", "STEP#"):
            step = keys.step_from_sk(values["sk"])
            _add_numbers(totals.setdefault(step, {}), values)
        return totals

    def hourly(self, journey_id: str, first: str, last: str) -> dict[str, dict[str, float]]:
        """UTC hour (`YYYY-MM-DDTHH`) → journey counters in that hour, for hours from
        `first` to `last` inclusive; hours without activity are absent."""
        totals: dict[str, dict[str, float]] = {}
        condition = "sk BETWEEN :a AND :b"
        for values in self._stats(journey_id, condition, f"HOUR#{first}", f"HOUR#{last}#~"):
            hour = keys.hour_from_sk(values["sk"])
            _add_numbers(totals.setdefault(hour, {}), values)
        return totals

    def _stats(self, journey_id: str, sk_condition: str, *bounds: str) -> Iterator[dict[str, Any]]:
        """The counter items of every shard of a journey, and of its legacy partition
        (counts written before the shards moved into the partition key still count)."""
        for pk in keys.stats_pks(journey_id):
            values = {":pk": to_attr(pk)}
            values.update({f":{name}": to_attr(b) for name, b in zip("ab", bounds, strict=False)})
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": f"pk = :pk AND {sk_condition}",
                "ExpressionAttributeValues": values,
                "ConsistentRead": True,
            }
            while True:
                response = self.client.query(**kwargs)
                yield from map(from_item, response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ---- publication ----------------------------------------------------------------

    def publish(self, kind: str, item_id: str, version: str, definition: dict[str, Any]) -> None:
        """Store an immutable version (journey, template, settings) once."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "pk": f"{kind.upper()}#{item_id}",
                        "sk": keys.journey_version_sk(version),
                        "definition": definition,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def published(self, kind: str, item_id: str, version: str) -> dict[str, Any] | None:
        cached = self._versions.get((item_id, version))
        if cached is not None:
            return cached
        response = self.client.get_item(
            TableName=self.table,
            Key={
                "pk": to_attr(f"{kind.upper()}#{item_id}"),
                "sk": to_attr(keys.journey_version_sk(version)),
            },
        )
        item = response.get("Item")
        if not item:
            return None
        definition: dict[str, Any] = from_item(item)["definition"]
        self._versions[(item_id, version)] = definition
        return definition

    # ---- the write ------------------------------------------------------------------

    def commit(self, change: Commit) -> bool:
        """Write everything or nothing. False: a condition failed (the enrolment moved on,
        the same trigger already enrolled, or another tick took the timer)."""
        items = self.writer.items(change)
        if not items:
            return True
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in (
                "TransactionCanceledException",
                "ConditionalCheckFailedException",
            ):
                return False
            raise
        self.due.committed(items)
        return True


def _add_numbers(into: dict[str, float], values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in ("pk", "sk") and isinstance(value, int | float):
            into[name] = into.get(name, 0) + value
