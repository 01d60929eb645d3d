"""Merging two members in DynamoDB: the adapter of kairos.members.merge.MergeStore, on
top of the erasure adapter (the absorbed member's partition goes the same way).

Access by key only (docs/data-model.md, "Merging two members"):
- ABSORB's history: Query `MEMBER#<absorb>` (paged), then one Put per timeline entry
  and order under `MEMBER#<keep>` (orders `attribute_not_exists`: KEEP's copy wins);
- KEEP's orders: Query `MEMBER#<keep>` begins_with `ORDER#`;
- KEEP's profile: UpdateItem conditional on `version` (its `last_event` untouched, so
  the evaluator's stream filter sees no new event); when the merge changes KEEP's names
  or `joined_at`, the profile is read first and the update goes in one
  TransactWriteItems with the search index's changes (kairos.store.search_index);
- aliases: Put `ALIAS#<kind>#<value>` → KEEP, conditional on pointing at ABSORB.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from kairos.ingest.statistics import OrderContribution
from kairos.models.member import Member
from kairos.store import keys
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.erasure import ErasureRepository
from kairos.store.search_index import index_changes
from kairos.store.timeline import timeline_item

PROFILE_FIELDS = ("profile", "tags", "stats", "identifiers", "aliases", "field_times", "updated_at")


def _conditional(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


class MergeRepository(ErasureRepository):
    def __init__(
        self, table: str, client: Any | None = None, *, timeline_ttl_days: int = 730
    ) -> None:
        super().__init__(table, client)
        self.timeline_ttl_days = timeline_ttl_days

    def _query(self, member_id: str, prefix: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {
                ":pk": to_attr(keys.member_pk(member_id)),
                ":p": to_attr(prefix),
            },
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**kwargs)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def move_history(self, absorb: str, keep: str) -> int:
        moved = 0
        for prefix in ("TL#", "ORDER#"):
            for item in self._query(absorb, prefix):
                copy = {**item, "pk": to_attr(keys.member_pk(keep))}
                put: dict[str, Any] = {"TableName": self.table, "Item": copy}
                if prefix == "ORDER#":
                    put["ConditionExpression"] = "attribute_not_exists(pk)"
                moved += _conditional(self.client.put_item, **put)
        return moved

    def orders(self, member_id: str) -> list[OrderContribution]:
        return [
            OrderContribution.model_validate(from_item(item)["order"])
            for item in self._query(member_id, "ORDER#")
        ]

    def put_profile(self, member: Member, expected_version: int) -> bool:
        current = self.profile(member.member_id)
        if current is None or current.version != expected_version:
            return False
        update = self._profile_update(member, expected_version)
        changes = index_changes(self.table, member, current)
        if not changes:
            return _conditional(self.client.update_item, **update)
        try:
            self.client.transact_write_items(TransactItems=[{"Update": update}, *changes])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def _profile_update(self, member: Member, expected_version: int) -> dict[str, Any]:
        values = member.model_dump(mode="json")
        names = {f"#f{i}": name for i, name in enumerate(PROFILE_FIELDS)}
        attrs = {f":v{i}": to_attr(values[name]) for i, name in enumerate(PROFILE_FIELDS)}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(PROFILE_FIELDS)))
        return dict(
            TableName=self.table,
            Key={"pk": to_attr(keys.member_pk(member.member_id)), "sk": to_attr(keys.PROFILE_SK)},
            UpdateExpression=f"SET {sets}, version = :next",
            ConditionExpression="version = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                **attrs,
                ":next": to_attr(member.version),
                ":expected": to_attr(expected_version),
            },
        )

    def repoint_aliases(
        self, absorb: str, keep: str, identifiers: Iterable[tuple[str, str]]
    ) -> None:
        for kind, value in identifiers:
            item = {
                "pk": keys.alias_pk(kind, value),
                "sk": "ALIAS",
                "kind": kind,
                "member_id": keep,
            }
            _conditional(
                self.client.put_item,
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression="member_id = :absorb",
                ExpressionAttributeValues={":absorb": to_attr(absorb)},
            )

    def record(
        self, member_id: str, at: datetime, entry_id: str, kind: str, data: dict[str, Any]
    ) -> None:
        item = timeline_item(member_id, at, entry_id, kind, data, self.timeline_ttl_days)
        self.client.put_item(TableName=self.table, Item=item)

    def index_tags(self, member_id: str, tags: Iterable[str]) -> None:
        shard = keys.tag_shard(member_id)
        for tag in tags:
            item = {"pk": keys.tag_pk(tag, shard), "sk": keys.member_pk(member_id),
                    "member_id": member_id}  # fmt: skip
            self.client.put_item(TableName=self.table, Item=to_item(item))
