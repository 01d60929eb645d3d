"""Erasing a member in DynamoDB: the adapter of kairos.members.ports.ErasureStore.

Every access is by key (docs/data-model.md, "Erasing a member"):
- the profile: GetItem `MEMBER#<id>` / `PROFILE`                              (1 read)
- its aliases: Delete `ALIAS#<kind>#<value>`, conditional on `member_id`   (1 per identifier)
- tombstones:  Put `ERASED#<hash>` / `ERASED`                               (1 per identifier)
- its partition: Query `MEMBER#<id>` (every sk), paged                    (1 per 1 MB)
- its timers: Delete `DUE#<hour>#<shard>` / `<at>#<timer id>`, located from each waiting
  enrolment and from each `TIMER#` reference in the partition (date and segment-recheck
  timers)                                           (1 per waiting enrolment or reference)
- its deliveries: UpdateItem `DELIVERY#<id>` REMOVE the personal fields  (1 per send)
- index entries: BatchWriteItem deletes of `SEGMENT#<s>` and `TAG#<t>#<n>` / `MEMBER#<id>`,
  and of the search entries (`NAME#…`, `JOINED#…`) the profile, read again, names
- the partition: BatchWriteItem deletes, 25 a request; the profile last (conditional).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.engine.enrolment import Enrolment
from kairos.models.member import Member
from kairos.store import keys
from kairos.store.batch import batch_write
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.members import member_from_item
from kairos.store.records import ItemHandle, MemberItems, Timer
from kairos.store.search_index import entry_keys
from kairos.store.timers import DueIndex

DELIVERY_PERSONAL_FIELDS = ("member_id", "enrolment_id", "provider_message_id", "text", "reason")
"""What could lead back to the person; status, channel, journey, step, template and time
stay, so a journey's counts and a channel's volumes do not change."""


class ErasureRepository:
    def __init__(self, table: str, client: Any | None = None, *, due_shards: int = 4) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")
        self.due = DueIndex(table, self.client, shards=due_shards)

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"pk": to_attr(pk), "sk": to_attr(sk)}

    def profile(self, member_id: str) -> Member | None:
        response = self.client.get_item(
            TableName=self.table,
            Key=self._key(keys.member_pk(member_id), keys.PROFILE_SK),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return member_from_item(item) if item else None

    def owner(self, kind: str, value: str) -> str | None:
        response = self.client.get_item(
            TableName=self.table, Key=self._key(keys.alias_pk(kind, value), "ALIAS")
        )
        item = response.get("Item")
        return str(from_item(item)["member_id"]) if item else None

    def is_erased(self, identifier_hash: str) -> bool:
        response = self.client.get_item(
            TableName=self.table, Key=self._key(keys.erased_pk(identifier_hash), keys.ERASED_SK)
        )
        return "Item" in response

    def tombstone(self, identifier_hash: str, kind: str, at: datetime, request: str) -> None:
        item = {
            "pk": keys.erased_pk(identifier_hash),
            "sk": keys.ERASED_SK,
            "kind": kind,
            "erased_at": utc(at).isoformat(),
            "request": request,
        }
        self.client.put_item(TableName=self.table, Item=to_item(item))

    def remove_aliases(self, member_id: str, identifiers: Iterable[tuple[str, str]]) -> None:
        for kind, value in identifiers:
            try:
                self.client.delete_item(
                    TableName=self.table,
                    Key=self._key(keys.alias_pk(kind, value), "ALIAS"),
                    # Never another member's: only the alias that is still ours.
                    ConditionExpression="member_id = :m",
                    ExpressionAttributeValues={":m": to_attr(member_id)},
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise

    def partition(self, member_id: str) -> MemberItems:
        handles: list[ItemHandle] = []
        enrolments: list[Enrolment] = []
        deliveries: list[str] = []
        timers: list[Timer] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(keys.member_pk(member_id))},
            "ConsistentRead": True,
        }
        while True:
            response = self.client.query(**kwargs)
            for raw in response.get("Items", []):
                values = from_item(raw)
                sk = str(values["sk"])
                if sk == keys.PROFILE_SK:
                    continue
                handles.append((str(values["pk"]), sk))
                if sk.startswith("ENROL#"):
                    enrolments.append(Enrolment.model_validate(values["enrolment"]))
                elif sk.startswith(keys.TIMER_REF_PREFIX):
                    timers.append(_referenced(values, member_id))
                elif sk.startswith("TL#") and str(values.get("kind", "")).startswith("delivery."):
                    delivery_id = (values.get("data") or {}).get("delivery_id")
                    if delivery_id:
                        deliveries.append(str(delivery_id))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return MemberItems(
            handles=tuple(handles),
            enrolments=tuple(enrolments),
            delivery_ids=tuple(dict.fromkeys(deliveries)),
            timers=tuple(timers),
        )

    def cancel_timers(self, timers: Iterable[Timer]) -> int:
        return sum(1 for timer in timers if self.due.delete(self.due.locate(timer)))

    def scrub_deliveries(self, delivery_ids: Iterable[str]) -> int:
        found = 0
        for delivery_id in delivery_ids:
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=self._key(keys.delivery_pk(delivery_id), keys.DELIVERY_SK),
                    UpdateExpression="REMOVE "
                    + ", ".join(f"#f{i}" for i in range(len(DELIVERY_PERSONAL_FIELDS))),
                    ExpressionAttributeNames={
                        f"#f{i}": name for i, name in enumerate(DELIVERY_PERSONAL_FIELDS)
                    },
                    ConditionExpression="attribute_exists(pk)",
                )
                found += 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        return found

    def leave_index(self, member_id: str, segment_ids: Iterable[str], tags: Iterable[str]) -> None:
        sk = keys.member_pk(member_id)
        handles = [(keys.segment_pk(s), sk) for s in segment_ids]
        handles += [(keys.tag_pk(t, keys.tag_shard(member_id)), sk) for t in tags]
        # The search entries follow the profile as it is now: a name an event set since
        # the caller read it is removed too (the caller's next round sees that event).
        profile = self.profile(member_id)
        handles += entry_keys(profile) if profile is not None else []
        self.delete_items(handles)

    def delete_items(self, handles: Iterable[ItemHandle]) -> None:
        pending = [
            {"DeleteRequest": {"Key": self._key(pk, sk)}} for pk, sk in dict.fromkeys(handles)
        ]
        batch_write(self.client, self.table, pending)

    def delete_profile(self, member_id: str, version: int) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=self._key(keys.member_pk(member_id), keys.PROFILE_SK),
                ConditionExpression="attribute_not_exists(pk) OR version = :v",
                ExpressionAttributeValues={":v": to_attr(version)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _referenced(values: dict[str, Any], member_id: str) -> Timer:
    """The due timer a `TIMER#` reference names (enough to locate it: id and due time)."""
    return Timer(
        timer_id=str(values["timer_id"]),
        due_at=datetime.fromisoformat(str(values["due_at"])),
        kind=str(values.get("kind", "")),
        member_id=member_id,
    )
