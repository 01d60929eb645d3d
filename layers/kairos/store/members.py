"""Members in DynamoDB: profiles, identity aliases, event markers, timeline, orders.

The DynamoDB adapter of ingest's ports (kairos.ingest.ports): I/O only. Deciding which
member an event belongs to and what changes is kairos.ingest's job.

Access patterns (see keys.py and docs/data-model.md):
- owners of identifiers: BatchGetItem on ALIAS#<kind>#<value>             (1 request)
- a member's state:      BatchGetItem on the profile (+ order, + referrer, + the
  tombstones of identifiers no member holds yet)                          (1 request)
- commit one event:      TransactWriteItems — event marker (attribute_not_exists),
  profile (version check), timeline entry, new aliases, order, referrer, tag index
  and search index changes (kairos.store.search_index)                    (1 request)
- show a member:         GetItem profile; Query MEMBER#<id> begins_with TL# (a page,
  newest first); its notes: the same Query filtered on `kind`
- members by tag or segment: kairos.store.member_index (the indexes, paged)
So an event costs 3 requests; a retry happens only when another event for the same
member committed in between (optimistic concurrency on `version`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.ingest.ports import Committed, Identifier, StoredState
from kairos.ingest.profile import Change, Snapshot
from kairos.ingest.statistics import OrderContribution
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.store import keys, timeline
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.member_index import MemberIndexReads, read_profile
from kairos.store.member_index import member_from_item as member_from_item
from kairos.store.search_index import SearchReads, index_changes
from kairos.store.timeline import timeline_item
from kairos.store.transactions import cancellation_reasons


class MemberRepository(MemberIndexReads, SearchReads):
    def __init__(
        self,
        table: str,
        client: Any | None = None,
        *,
        event_ttl_days: int = 30,
        timeline_ttl_days: int = 730,
    ) -> None:
        self.table = table
        # Low-level items throughout: typed as Any rather than fighting the stubs.
        self.client: Any = client or boto3.client("dynamodb")
        self.event_ttl_days = event_ttl_days
        self.timeline_ttl_days = timeline_ttl_days

    # ---- reads -----------------------------------------------------------------------

    def get(self, member_id: str) -> Member | None:
        return read_profile(self.client, self.table, member_id)

    def find(self, kind: str, value: str) -> str | None:
        """The member an identifier belongs to."""
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.alias_pk(kind, value)), "sk": to_attr("ALIAS")},
        )
        item = response.get("Item")
        return str(from_item(item)["member_id"]) if item else None

    def timeline(self, member_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest entries, oldest first."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :tl)",
            ExpressionAttributeValues={
                ":pk": to_attr(keys.member_pk(member_id)),
                ":tl": to_attr("TL#"),
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(item) for item in reversed(response.get("Items", []))]

    def timeline_page(
        self, member_id: str, limit: int = 50, before: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Entries newest first, up to `limit`, older than the cursor `before`; and the
        cursor for the next page (None at the end)."""
        return timeline.timeline_page(self.client, self.table, member_id, limit, before)

    def timeline_of_kind(self, member_id: str, kind: str, limit: int = 50) -> list[dict[str, Any]]:
        """The member's newest entries of one kind (notes): a Query of the member's own
        timeline filtered on `kind` — it reads that member's entries, never others'."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :tl)",
            "FilterExpression": "kind = :kind",
            "ExpressionAttributeValues": {
                ":pk": to_attr(keys.member_pk(member_id)),
                ":tl": to_attr("TL#"),
                ":kind": to_attr(kind),
            },
            "ScanIndexForward": False,
        }
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            response = self.client.query(**kwargs)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[:limit]

    def _batch_get(self, item_keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        return batch_get(self.client, self.table, item_keys)

    # ---- ingest's ports ----------------------------------------------------------------

    def owners(self, identifiers: Iterable[Identifier]) -> dict[Identifier, str]:
        wanted = list(dict.fromkeys(identifiers))
        if not wanted:
            return {}
        found = self._batch_get([(keys.alias_pk(k, v), "ALIAS") for k, v in wanted])
        owners: dict[Identifier, str] = {}
        for kind, value in wanted:
            item = found.get((keys.alias_pk(kind, value), "ALIAS"))
            if item:
                owners[(kind, value)] = item["member_id"]["S"]
        return owners

    def state(
        self,
        member_id: str,
        order_id: str | None,
        referrer_id: str | None,
        erased: Iterable[str] = (),
    ) -> StoredState:
        profile_key = (keys.member_pk(member_id), keys.PROFILE_SK)
        wanted = [profile_key]
        order_key = (keys.member_pk(member_id), keys.order_sk(order_id)) if order_id else None
        referrer_key = (keys.member_pk(referrer_id), keys.PROFILE_SK) if referrer_id else None
        wanted += [k for k in (order_key, referrer_key) if k is not None]
        tombstones = {h: (keys.erased_pk(h), keys.ERASED_SK) for h in erased}
        wanted += tombstones.values()
        items = self._batch_get(wanted)
        profile = items.get(profile_key)
        order = items.get(order_key) if order_key else None
        referrer = items.get(referrer_key) if referrer_key else None
        return StoredState(
            member=member_from_item(profile) if profile else None,
            order=OrderContribution.model_validate(from_item(order)["order"]) if order else None,
            referrer=member_from_item(referrer) if referrer else None,
            erased=frozenset(h for h, k in tombstones.items() if k in items),
        )

    def commit(
        self, event: CanonicalEvent, key: str, now: datetime, snapshot: Snapshot, change: Change
    ) -> Committed:
        transact = self._write_items(event, key, now, snapshot, change)
        try:
            self.client.transact_write_items(TransactItems=transact)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return Committed.DUPLICATE if _first_reason_failed(exc) else Committed.RACED
        return Committed.APPLIED

    def _write_items(
        self, event: CanonicalEvent, key: str, now: datetime, snapshot: Snapshot, change: Change
    ) -> list[dict[str, Any]]:
        member = change.member
        event_json = event.as_record()
        marker = to_item(
            {
                "pk": keys.event_pk(key),
                "event_id": event.id,
                "sk": "EVENT",
                "type": event.type,
                # No member id: a marker outlives an erasure for up to its TTL.
                "time": event.time.isoformat(),
                "expires_at": int((utc(now) + timedelta(days=self.event_ttl_days)).timestamp()),
            }
        )
        items: list[dict[str, Any]] = [_put_new(self.table, marker)]
        items.append(self._put_profile(member, snapshot.member, event_json))
        items.append(
            {
                "Put": {
                    "TableName": self.table,
                    "Item": timeline_item(
                        member.member_id,
                        event.time,
                        event.id,
                        change.timeline_kind,
                        change.timeline_data,
                        self.timeline_ttl_days,
                        expires_from=now,
                    ),
                }
            }
        )
        for kind, value in snapshot.link.items():
            items.append(_put_new(self.table, self._alias(kind, value, member.member_id)))
        items.extend(self._tag_index(member, snapshot.member))
        items.extend(index_changes(self.table, member, snapshot.member))
        if change.order_put is not None:
            order = to_item(
                {
                    "pk": keys.member_pk(member.member_id),
                    "sk": keys.order_sk(change.order_put.order_id),
                    "order": change.order_put.model_dump(mode="json"),
                    "cancelled": change.order_put.cancelled,
                }
            )
            if snapshot.order is not None:
                # Cancelling, or replacing it by an earlier report of the same order.
                items.append(
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": order,
                            "ConditionExpression": "cancelled = :f",
                            "ExpressionAttributeValues": {":f": {"BOOL": False}},
                        }
                    }
                )
            else:
                items.append(_put_new(self.table, order))
        if change.referrer is not None and change.referrer_event is not None:
            items.append(
                self._put_profile(change.referrer, snapshot.referrer, change.referrer_event)
            )
            items.extend(index_changes(self.table, change.referrer, snapshot.referrer))
            for kind, value in snapshot.referrer_link.items():
                items.append(
                    _put_new(self.table, self._alias(kind, value, change.referrer.member_id))
                )
        return items

    def _tag_index(self, member: Member, before: Member | None) -> list[dict[str, Any]]:
        """The tag index's changes (`TAG#<tag>#<shard>` / `MEMBER#<id>`): one Put per tag
        added, one Delete per tag removed, in the profile's own transaction."""
        had = set(before.tags) if before else set()
        has = set(member.tags)
        shard = keys.tag_shard(member.member_id)
        sk = keys.member_pk(member.member_id)
        changes: list[dict[str, Any]] = []
        for tag in sorted(has - had):
            item = {"pk": keys.tag_pk(tag, shard), "sk": sk, "member_id": member.member_id}
            changes.append({"Put": {"TableName": self.table, "Item": to_item(item)}})
        for tag in sorted(had - has):
            key = {"pk": to_attr(keys.tag_pk(tag, shard)), "sk": to_attr(sk)}
            changes.append({"Delete": {"TableName": self.table, "Key": key}})
        return changes

    def _alias(self, kind: str, value: str, member_id: str) -> dict[str, Any]:
        return to_item(
            {"pk": keys.alias_pk(kind, value), "sk": "ALIAS", "kind": kind, "member_id": member_id}
        )

    def _put_profile(
        self, member: Member, before: Member | None, last_event: dict[str, Any]
    ) -> dict[str, Any]:
        values = member.model_dump(mode="json")
        values.update(
            pk=keys.member_pk(member.member_id),
            sk=keys.PROFILE_SK,
            last_event=last_event,
            last_event_id=last_event["id"],
        )
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(values)}
        if before is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(before.version)}
        return {"Put": put}


def _put_new(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    }


_RETRYABLE = {"None", "ConditionalCheckFailed", "TransactionConflict"}


def _first_reason_failed(exc: ClientError) -> bool:
    """Did the event marker (always the first item) fail its condition: a duplicate?
    A reason other than a condition or a conflict (an item too large, a validation
    error) is not a race: it is raised, and nothing was written."""
    codes = cancellation_reasons(exc)
    unexpected = [c for c in codes if c not in _RETRYABLE]
    if unexpected:
        raise exc
    return bool(codes) and codes[0] == "ConditionalCheckFailed"
