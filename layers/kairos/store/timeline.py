"""Timeline entries: what happened to a member, newest last (`MEMBER#id` / `TL#time#id`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kairos.clock import iso, utc
from kairos.store import keys
from kairos.store.codec import from_item, to_attr, to_item


def timeline_item(
    member_id: str,
    time: datetime,
    entry_id: str,
    kind: str,
    data: dict[str, Any],
    ttl_days: int,
    expires_from: datetime | None = None,
) -> dict[str, Any]:
    """A low-level item for one entry; `kind` is an event type (`order.created`) or a
    delivery outcome (`delivery.sent`, `delivery.capped`, ...). Retention counts from
    `expires_from` (when Kairos recorded it) when given: a backfilled event from two
    years ago is kept as long as a new one, not expired at once."""
    expires = int((utc(expires_from or time) + timedelta(days=ttl_days)).timestamp())
    return to_item(
        {
            "pk": keys.member_pk(member_id),
            "sk": keys.timeline_sk(iso(time), entry_id),
            "kind": kind,
            "time": utc(time).isoformat(),
            "entry_id": entry_id,
            "data": data,
            "expires_at": expires,
        }
    )


def newest_first(table: str, member_id: str, before: str | None) -> dict[str, Any]:
    """The Query of a member's timeline newest first, older than the cursor `before` (a
    timeline sort key)."""
    pk = keys.member_pk(member_id)
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :tl)",
        "ExpressionAttributeValues": {":pk": to_attr(pk), ":tl": to_attr("TL#")},
        "ScanIndexForward": False,
    }
    if before:
        query["ExclusiveStartKey"] = {"pk": to_attr(pk), "sk": to_attr(before)}
    return query


def timeline_page(
    client: Any, table: str, member_id: str, limit: int, before: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` entries newest first, older than `before` (one Query); and the
    cursor of the next page, None at the end."""
    response = client.query(**newest_first(table, member_id, before), Limit=limit)
    entries = [from_item(item) for item in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return entries, (str(last["sk"]["S"]) if last else None)
