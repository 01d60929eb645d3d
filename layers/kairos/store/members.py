"""Members in DynamoDB: profiles, identity aliases, event markers, timeline, orders.

Access patterns (see keys.py and docs/data-model.md):
- resolve identifiers: BatchGetItem on ALIAS#<kind>#<value>                (1 request)
- read the snapshot:   BatchGetItem on the profile (+ order, + referrer)  (1 request)
- apply one event:     TransactWriteItems — event marker (attribute_not_exists),
  profile (version check), timeline entry, new aliases, order, referrer   (1 request)
- show a member:       GetItem profile; Query MEMBER#<id> begins_with TL#
So an event costs at most 3 requests, and a retry happens only when another event for
the same member committed in between (optimistic concurrency on `version`).
"""

from __future__ import annotations

import random
import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.ingest.identity import event_identifiers, referrer_identifiers, resolve
from kairos.ingest.profile import Change, Snapshot
from kairos.ingest.statistics import OrderContribution
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.capacity import transaction_write_units
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.timeline import timeline_item

Planner = Callable[[Snapshot], Change]
MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class ApplyResult:
    event_id: str
    member_id: str
    status: str
    """`applied`, `duplicate`, or a Change outcome such as `order_known`."""


@dataclass
class Usage:
    """Requests and write units spent, for benchmarks and cost estimates."""

    requests: int = 0
    write_units: float = 0.0
    read_units: float = 0.0

    def add(self, response: dict[str, Any], writes: bool = False) -> None:
        self.requests += 1
        consumed = response.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        for entry in consumed:
            # Reads report ReadCapacityUnits or (on-demand, some emulators) CapacityUnits only.
            units = float(entry.get("CapacityUnits", 0) or 0)
            write = float(entry.get("WriteCapacityUnits", 0) or 0)
            read = float(entry.get("ReadCapacityUnits", 0) or 0)
            if write or read:
                self.write_units += write
                self.read_units += read
            elif writes:
                self.write_units += units
            else:
                self.read_units += units


class ConcurrentUpdateError(RuntimeError):
    """The member kept changing under us; the caller's retry (the webhook's 5xx) helps."""


def member_from_item(item: dict[str, Any]) -> Member:
    return Member.model_validate(from_item(item))


class MemberRepository:
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
        self.usage = Usage()

    # ---- reads -----------------------------------------------------------------------

    def get(self, member_id: str) -> Member | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.member_pk(member_id)), "sk": to_attr(keys.PROFILE_SK)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return member_from_item(item) if item else None

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

    def scan_members(self) -> Iterator[Member]:
        """Every member profile. A full-table read for `kairos members export`, run by a
        person: never called from a function."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "sk = :profile",
            "ExpressionAttributeValues": {":profile": to_attr(keys.PROFILE_SK)},
        }
        while True:
            response = self.client.scan(**kwargs)
            for item in response.get("Items", []):
                yield member_from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _batch_get(self, item_keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        return batch_get(
            self.client, self.table, item_keys, consumed=True, on_response=self.usage.add
        )

    # ---- the write path --------------------------------------------------------------

    def apply(self, event: CanonicalEvent, now: datetime, planner: Planner) -> ApplyResult:
        """Apply one event exactly once: read, plan, write conditionally, retry on a race."""
        for attempt in range(MAX_ATTEMPTS):
            result = self._attempt(event, now, planner)
            if result is not None:
                return result
            # Another writer touched this member (or claimed an alias) first: back off.
            _time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
        raise ConcurrentUpdateError(f"event {event.id}: member kept changing, gave up")

    def _attempt(
        self, event: CanonicalEvent, now: datetime, planner: Planner
    ) -> ApplyResult | None:
        identifiers = event_identifiers(event)
        referrer_ids = referrer_identifiers(event)
        alias_keys = [(keys.alias_pk(k, v), "ALIAS") for k, v in identifiers.items()]
        alias_keys += [(keys.alias_pk(k, v), "ALIAS") for k, v in referrer_ids.items()]
        aliases = self._batch_get(alias_keys)

        def known(ids: dict[str, str]) -> dict[str, str]:
            owners = {}
            for kind, value in ids.items():
                item = aliases.get((keys.alias_pk(kind, value), "ALIAS"))
                if item:
                    owners[kind] = item["member_id"]["S"]
            return owners

        resolution = resolve(identifiers, known(identifiers))
        referrer = resolve(referrer_ids, known(referrer_ids)) if referrer_ids else None

        wanted = [(keys.member_pk(resolution.member_id), keys.PROFILE_SK)]
        order_id = event.data.get("order_id") if event.type.startswith("order.") else None
        if order_id:
            wanted.append((keys.member_pk(resolution.member_id), keys.order_sk(order_id)))
        if referrer is not None:
            wanted.append((keys.member_pk(referrer.member_id), keys.PROFILE_SK))
        items = self._batch_get(wanted)
        profile_item = items.get(wanted[0])
        order_item = items.get(wanted[1]) if order_id else None
        referrer_item = (
            items.get((keys.member_pk(referrer.member_id), keys.PROFILE_SK)) if referrer else None
        )
        snapshot = Snapshot(
            member_id=resolution.member_id,
            member=member_from_item(profile_item) if profile_item else None,
            link=resolution.link,
            conflicts=resolution.conflicts,
            order=OrderContribution.model_validate(from_item(order_item)["order"])
            if order_item
            else None,
            referrer_id=referrer.member_id if referrer else None,
            referrer=member_from_item(referrer_item) if referrer_item else None,
            referrer_link=referrer.link if referrer else {},
        )
        change = planner(snapshot)
        transact = self._write_items(event, now, snapshot, change)
        try:
            response = self.client.transact_write_items(
                TransactItems=transact, ReturnConsumedCapacity="TOTAL"
            )
            if not response.get("ConsumedCapacity"):
                response["ConsumedCapacity"] = [
                    {"TableName": self.table, "CapacityUnits": transaction_write_units(transact)}
                ]
            self.usage.add(response, writes=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            self.usage.requests += 1
            if _first_reason_failed(exc):
                return ApplyResult(event.id, resolution.member_id, "duplicate")
            return None
        return ApplyResult(event.id, resolution.member_id, change.outcome)

    def _write_items(
        self, event: CanonicalEvent, now: datetime, snapshot: Snapshot, change: Change
    ) -> list[dict[str, Any]]:
        member = change.member
        event_json = event.model_dump(mode="json")
        marker = to_item(
            {
                "pk": keys.event_pk(event.id),
                "sk": "EVENT",
                "type": event.type,
                "member_id": member.member_id,
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
                    ),
                }
            }
        )
        for kind, value in snapshot.link.items():
            items.append(_put_new(self.table, self._alias(kind, value, member.member_id)))
        if change.order_put is not None:
            order = to_item(
                {
                    "pk": keys.member_pk(member.member_id),
                    "sk": keys.order_sk(change.order_put.order_id),
                    "order": change.order_put.model_dump(mode="json"),
                    "cancelled": change.order_put.cancelled,
                }
            )
            if change.order_put.cancelled:
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
            for kind, value in snapshot.referrer_link.items():
                items.append(
                    _put_new(self.table, self._alias(kind, value, change.referrer.member_id))
                )
        return items

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


def _first_reason_failed(exc: ClientError) -> bool:
    """Did the event marker (always the first item) fail its condition: a duplicate?"""
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return bool(reasons[0].get("Code") == "ConditionalCheckFailed")
    # Some emulators only put the reasons in the message: "[ConditionalCheckFailed, None]".
    message = exc.response["Error"].get("Message", "")
    listed = message[message.rfind("[") + 1 : message.rfind("]")].split(",")
    return bool(listed) and listed[0].strip() == "ConditionalCheckFailed"
