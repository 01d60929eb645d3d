"""Timeline entries: what happened to a member, newest last (`MEMBER#id` / `TL#time#id`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kairos.clock import iso, utc
from kairos.store import keys
from kairos.store.codec import to_item


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
