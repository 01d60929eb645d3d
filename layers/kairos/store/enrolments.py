"""Journey state in DynamoDB: enrolments, segment membership, published journey versions
and step counters — written together, conditionally, in one transaction per change.

Access patterns (keys.py, docs/data-model.md):
- a member's enrolments: Query `MEMBER#<id>` begins_with `ENROL#`             (1 request)
- one enrolment (a due timer names it): GetItem                               (1 request)
- commit one outcome: TransactWriteItems — enrolment (`version` check or new),
  timers (+ month directory), the consumed timer's Delete, segment membership,
  counters (ADD), timeline entries                                            (1 request)
- who waits where: Query gsi1 `JOURNEY#<id>` (for `kairos journeys show`)
- a journey's counters: Query `STATS#<id>` begins_with `STEP#`; its hourly series:
  Query `STATS#<id>` sk BETWEEN `HOUR#<from>` and `HOUR#<to>` (for `kairos stats`)
- a segment's members: Query `SEGMENT#<id>` (schedule triggers)
- a published journey version: GetItem `JOURNEY#<id>` / `V#<version>` (cached)

Callers give and get typed records (records.py): enrolments, `Commit`, `DueTimer`,
`DeliveryEngagement`; DynamoDB items stay in this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.capacity import transaction_write_units
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.members import member_from_item
from kairos.store.records import (
    Commit,
    DeliveryEngagement,
    MemberEnrolment,
    SegmentMember,
    StepCounter,
    TimelineEntry,
)
from kairos.store.timeline import timeline_item
from kairos.store.timers import DueIndex
from kairos.store.usage import Usage

__all__ = ["COUNTER_SHARDS", "Commit", "EngineStore"]

COUNTER_SHARDS = 4


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
        self.timeline_ttl_days = timeline_ttl_days
        self.usage = Usage()
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
            self.usage.requests += 1
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
        self.usage.requests += 1
        item = response.get("Item")
        return Enrolment.model_validate(from_item(item)["enrolment"]) if item else None

    def member_and_enrolment(
        self, member_id: str, journey_id: str, enrolment_id: str
    ) -> MemberEnrolment:
        """Both items of one member partition in a single BatchGetItem (a due step)."""
        pk = keys.member_pk(member_id)
        profile_sk = keys.PROFILE_SK
        enrolment_sk = keys.enrolment_sk(journey_id, enrolment_id)
        items = batch_get(
            self.client, self.table, [(pk, profile_sk), (pk, enrolment_sk)], on_response=self._count
        )
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
        items = batch_get(self.client, self.table, wanted, on_response=self._count)
        return {
            values["delivery_id"]: DeliveryEngagement(
                status=values.get("status"),
                bounced="bounced_at" in values,
                opened="opened_at" in values,
                clicked="clicked_at" in values,
            )
            for values in map(from_item, items.values())
        }

    def _count(self, _: dict[str, Any]) -> None:
        self.usage.requests += 1

    def mark_engagement(self, delivery_id: str, kind: str, at: str) -> bool:
        """Record an open or click on a delivery (first time only); False if unknown."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": to_attr(keys.delivery_pk(delivery_id)), "sk": to_attr(keys.DELIVERY_SK)},
                UpdateExpression="SET #k = if_not_exists(#k, :at)",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#k": f"{kind}_at"},
                ExpressionAttributeValues={":at": to_attr(at)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        finally:
            self.usage.requests += 1
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
        self.usage.requests += 1
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
            step = values["sk"].removeprefix("STEP#").split("#")[0]
            _add_numbers(totals.setdefault(step, {}), values)
        return totals

    def hourly(self, journey_id: str, first: str, last: str) -> dict[str, dict[str, float]]:
        """UTC hour (`YYYY-MM-DDTHH`) → journey counters in that hour, for hours from
        `first` to `last` inclusive; hours without activity are absent."""
        totals: dict[str, dict[str, float]] = {}
        condition = "sk BETWEEN :a AND :b"
        for values in self._stats(journey_id, condition, f"HOUR#{first}", f"HOUR#{last}#~"):
            hour = values["sk"].split("#")[1]
            _add_numbers(totals.setdefault(hour, {}), values)
        return totals

    def _stats(self, journey_id: str, sk_condition: str, *bounds: str) -> Iterator[dict[str, Any]]:
        values = {":pk": to_attr(keys.stats_pk(journey_id))}
        values.update({f":{name}": to_attr(b) for name, b in zip("ab", bounds, strict=False)})
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"pk = :pk AND {sk_condition}",
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        while True:
            response = self.client.query(**kwargs)
            self.usage.requests += 1
            yield from map(from_item, response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
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
        items = self._items(change)
        if not items:
            return True
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            self.usage.requests += 1
            if exc.response["Error"]["Code"] in (
                "TransactionCanceledException",
                "ConditionalCheckFailedException",
            ):
                return False
            raise
        self.usage.requests += 1
        self.usage.write_units += transaction_write_units(items)
        return True

    def _items(self, change: Commit) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if change.enrolment is not None:
            items.append(self._put_enrolment(change.enrolment, change.expected_version))
        if change.consumed is not None:
            items.append(self.due.delete_request(change.consumed))
        buckets: set[str] = set()
        seen_timers: set[tuple[str, str]] = set()
        consumed = (change.consumed.pk, change.consumed.sk) if change.consumed else None
        for timer in change.timers:
            where = self.due.locate(timer)
            key = (where.pk, where.sk)
            if key in seen_timers or key == consumed:
                continue
            seen_timers.add(key)
            items.append(self.due.put_request(timer))
            buckets.add(where.pk.split("#")[1])
        items.extend(self.due.directory_requests(buckets))
        for membership, inside in change.segments.items():
            items.append(self._segment_member(membership, inside))
        shard = _shard(change.enrolment.id if change.enrolment else "", COUNTER_SHARDS)
        grouped: dict[tuple[str, str], dict[str, float]] = {}
        for counter, amount in change.counters.items():
            names_of = grouped.setdefault((counter.journey, counter.step), {})
            names_of[counter.name] = names_of.get(counter.name, 0) + amount
        _add_revenue(grouped, change)
        keyed = [
            (journey, keys.engine_counter_sk(step, shard), names)
            for (journey, step), names in grouped.items()
        ]
        if change.enrolment is not None and change.enrolment.updated_at is not None:
            # The journey's own counters again under the hour they happened in, for the
            # per-day series of `kairos stats --from/--to`: one more item per outcome
            # that enters, converts or ends an enrolment.
            hour = change.enrolment.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H")
            keyed.extend(
                (journey, keys.stats_hour_sk(hour, shard), names)
                for (journey, step), names in grouped.items()
                if step == "-"
            )
        for journey, sk, names in keyed:
            ordered = sorted(names)
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {
                            "pk": to_attr(keys.stats_pk(journey)),
                            "sk": to_attr(sk),
                        },
                        "UpdateExpression": "ADD "
                        + ", ".join(f"#n{i} :v{i}" for i in range(len(ordered))),
                        "ExpressionAttributeNames": {f"#n{i}": n for i, n in enumerate(ordered)},
                        "ExpressionAttributeValues": {
                            f":v{i}": to_attr(names[n]) for i, n in enumerate(ordered)
                        },
                    }
                }
            )
        items.extend(self._timeline_entry(entry) for entry in change.timeline)
        return items

    def _segment_member(self, membership: SegmentMember, inside: bool) -> dict[str, Any]:
        key = {
            "pk": to_attr(keys.segment_pk(membership.segment_id)),
            "sk": to_attr(keys.member_pk(membership.member_id)),
        }
        if not inside:
            return {"Delete": {"TableName": self.table, "Key": key}}
        item = {**key, "member_id": to_attr(membership.member_id)}
        return {"Put": {"TableName": self.table, "Item": item}}

    def _timeline_entry(self, entry: TimelineEntry) -> dict[str, Any]:
        item = timeline_item(
            entry.member_id, entry.time, entry.entry_id, entry.kind, entry.data,
            self.timeline_ttl_days,
        )  # fmt: skip
        return {"Put": {"TableName": self.table, "Item": item}}

    def _put_enrolment(self, enrolment: Enrolment, expected: int | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pk": keys.member_pk(enrolment.member_id),
            "sk": keys.enrolment_sk(enrolment.journey, enrolment.id),
            "enrolment": enrolment.model_dump(mode="json"),
            "version": enrolment.version,
            "state": enrolment.state,
        }
        if enrolment.live:
            # Only live enrolments are in the journey's index: `journeys show` lists who
            # is waiting where without reading the finished ones. Finished enrolments are
            # kept (no TTL): `reentry: never`, cooldowns and max_entries read them.
            values["gsi1pk"] = keys.journey_pk(enrolment.journey)
            values["gsi1sk"] = f"{enrolment.step or '-'}#{enrolment.member_id}"
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(values)}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(expected)}
        return {"Put": put}


def _add_numbers(into: dict[str, float], values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in ("pk", "sk") and isinstance(value, int | float):
            into[name] = into.get(name, 0) + value


def _add_revenue(grouped: dict[tuple[str, str], dict[str, float]], change: Commit) -> None:
    """The order total of a conversion, added with the `converted` counter it comes with
    (the engine puts it on the enrolment): the journey's `revenue` (`revenue_holdout`
    for the control group) and each split arm's `revenue-arm-<n>`."""
    enrolment = change.enrolment
    if enrolment is None or not enrolment.revenue:
        return
    journey = enrolment.journey
    if not change.counters.get(StepCounter(journey, "-", "converted")):
        return  # not the outcome that converted it
    name = "revenue_holdout" if enrolment.holdout else "revenue"
    overall = grouped.setdefault((journey, "-"), {})
    overall[name] = overall.get(name, 0) + enrolment.revenue
    for split_step, arm in enrolment.arms.items():
        per_arm = grouped.setdefault((journey, split_step), {})
        per_arm[f"revenue-arm-{arm}"] = per_arm.get(f"revenue-arm-{arm}", 0) + enrolment.revenue


def _shard(key: str, shards: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % shards
