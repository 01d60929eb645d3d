"""The sender's reads and writes in DynamoDB: members and frequency windows in, delivery
results out. Implements the sender's ports `MemberLookup`, `FrequencyWindows`,
`DeliveryLog` and `StepCounters` (kairos.delivery.ports).

Access patterns (see keys.py and docs/sender.md):
- batch read:      BatchGetItem MEMBER#<id>/PROFILE + MEMBER#<id>/FREQ for every member
                   of the batch                                  (1 request per 50 members)
- frequency count: PutItem MEMBER#<id>/FREQ conditional on `version` (or absent)
                   (1 request per capped-or-counted send; only with a frequency cap)
- results:         BatchWriteItem DELIVERY#<id>/DELIVERY + the timeline entry
                   MEMBER#<id>/TL#<time>#<delivery id>           (1 request per 12 sends)
- counters:        UpdateItem ADD on STATS#<journey>#e<n>/STEP#<step>, a random shard
                   of the journey's counters       (1 request per step per batch)
Result writes are plain puts on deterministic keys, so writing them twice (a replayed
message) leaves the same items.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.delivery.model import Outcome, Window
from kairos.models.member import Member
from kairos.store import keys
from kairos.store.batch import batch_get, batch_write
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.members import member_from_item
from kairos.store.timeline import timeline_item


class DeliveryStore:
    def __init__(
        self, table: str, client: Any | None = None, *, timeline_ttl_days: int = 730
    ) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")
        self.timeline_ttl_days = timeline_ttl_days

    # ---- reads -----------------------------------------------------------------------

    def recipients(self, member_ids: Iterable[str]) -> dict[str, tuple[Member | None, Window]]:
        """Profiles and frequency windows of these members, in as few requests as fit."""
        wanted = list(dict.fromkeys(member_ids))
        item_keys = [
            (keys.member_pk(m), sk) for m in wanted for sk in (keys.PROFILE_SK, keys.FREQ_SK)
        ]
        found = batch_get(self.client, self.table, item_keys)
        result: dict[str, tuple[Member | None, Window]] = {}
        for member_id in wanted:
            profile = found.get((keys.member_pk(member_id), keys.PROFILE_SK))
            freq = found.get((keys.member_pk(member_id), keys.FREQ_SK))
            result[member_id] = (
                member_from_item(profile) if profile else None,
                _window(freq),
            )
        return result

    def get_window(self, member_id: str) -> Window:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.member_pk(member_id)), "sk": to_attr(keys.FREQ_SK)},
            ConsistentRead=True,
        )
        return _window(response.get("Item"))

    def put_window(self, member_id: str, sends: dict[str, int], expected: Window) -> bool:
        latest = max(sends.values(), default=0)
        item = to_item(
            {
                "pk": keys.member_pk(member_id),
                "sk": keys.FREQ_SK,
                "sends": sends,
                "version": expected.version + 1,
                # The window is only needed while its newest send is recent.
                "expires_at": latest + 400 * 24 * 3600,
            }
        )
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if expected.exists:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(expected.version)}
        else:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.client.put_item(**put)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.delivery_pk(delivery_id)), "sk": to_attr(keys.DELIVERY_SK)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    # ---- writes ----------------------------------------------------------------------

    def record(self, outcomes: Iterable[Outcome]) -> None:
        """The delivery record and the member's timeline entry for each outcome."""
        items: list[dict[str, Any]] = []
        for outcome in outcomes:
            items.append(self._delivery_item(outcome))
            items.append(self._timeline_item(outcome, f"delivery.{outcome.status}"))
        self._batch_put(items)

    def record_deferred(self, outcome: Outcome) -> None:
        """A send returned to the queue until its `not_before` (one entry per delivery)."""
        self._batch_put([self._timeline_item(outcome, "delivery.deferred")])

    def count(self, counters: Mapping[tuple[str, str], Counter[str]]) -> None:
        """ADD per journey step: `sent`, `failed`, …, and `sent_<channel>`."""
        for (journey, step), counts in counters.items():
            fields = {name: n for name, n in counts.items() if n}
            if not fields:
                continue
            names = {f"#f{i}": name for i, name in enumerate(fields)}
            values = {f":v{i}": to_attr(n) for i, n in enumerate(fields.values())}
            # Any shard will do (readers sum them all): a random one spreads concurrent
            # batches of a popular step over the journey's partitions.
            shard = secrets.randbelow(keys.STATS_SHARDS)
            self.client.update_item(
                TableName=self.table,
                Key={
                    "pk": to_attr(keys.stats_pk(journey, shard)),
                    "sk": to_attr(keys.step_sk(step)),
                },
                UpdateExpression="ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(fields))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def counters(self, journey: str, step: str) -> dict[str, int]:
        """A step's counters summed over the journey's shards (the engine's `entered`, …
        included) and the sender's legacy item (one BatchGetItem)."""
        found = batch_get(
            self.client, self.table, [(pk, keys.step_sk(step)) for pk in keys.stats_pks(journey)]
        )
        totals: Counter[str] = Counter()
        for item in found.values():
            for name, value in from_item(item).items():
                if name not in ("pk", "sk"):
                    totals[name] += int(value)
        return dict(totals)

    def _delivery_item(self, outcome: Outcome) -> dict[str, Any]:
        values = outcome.model_dump(mode="json", exclude={"text"})
        values.update(
            pk=keys.delivery_pk(outcome.delivery_id),
            sk=keys.DELIVERY_SK,
            expires_at=int(
                (utc(outcome.time) + timedelta(days=self.timeline_ttl_days)).timestamp()
            ),
        )
        return to_item(values)

    def _timeline_item(self, outcome: Outcome, kind: str) -> dict[str, Any]:
        data = outcome.model_dump(mode="json", exclude={"member_id", "time"}, exclude_none=True)
        entry_id = (
            outcome.delivery_id
            if kind != "delivery.deferred"
            else f"{outcome.delivery_id}.deferred"
        )
        return timeline_item(
            outcome.member_id, outcome.time, entry_id, kind, data, self.timeline_ttl_days
        )

    def _batch_put(self, items: list[dict[str, Any]]) -> None:
        # The same key twice in one BatchWriteItem is refused: keep the last.
        unique = {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
        pending = [{"PutRequest": {"Item": i}} for i in unique.values()]
        batch_write(self.client, self.table, pending)


def _window(item: dict[str, Any] | None) -> Window:
    if not item:
        return Window()
    values = from_item(item)
    sends = {str(k): int(v) for k, v in (values.get("sends") or {}).items()}
    return Window(sends=sends, version=int(values.get("version", 0)), exists=True)
