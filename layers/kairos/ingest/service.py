"""Apply canonical events to members: the webhook's one call into the domain.

The algorithm lives here, the store only reads and writes: resolve identity from the
identifiers' owners, read the member's state, plan the change (kairos.ingest.profile),
commit it conditionally; when another writer got there first, read again and re-plan.
Each event costs three requests when nothing races, a new member's too: the erasure
tombstones are read with its state (see kairos.store.members).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kairos.ingest.erased import grants_consent, identifier_hash
from kairos.ingest.identity import event_identifiers, referrer_identifiers, resolve
from kairos.ingest.ports import Committed, IngestStore
from kairos.ingest.profile import Snapshot, plan
from kairos.models.events import CanonicalEvent
from kairos.observability import logger

MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class ApplyResult:
    event_id: str
    member_id: str
    status: str
    """`applied`, `duplicate`, or a Change outcome such as `order_known`."""


def erasure_checks(event: CanonicalEvent, fresh: dict[str, str], key: bytes) -> set[str]:
    """The identifier hashes whose tombstones decide the event: those of identifiers no
    member holds (so only for new members and new links), unless the event is a new
    consent. Read with the member's state, in the same request."""
    if not fresh or grants_consent(event):
        return set()
    return {identifier_hash(kind, value, key) for kind, value in fresh.items()}


class ConcurrentUpdateError(RuntimeError):
    """The member kept changing under us; the caller's retry (the webhook's 5xx) helps."""


def backoff(attempt: int) -> None:
    """Another writer touched this member first: wait a little, more each time."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


def dedupe_key(event: CanonicalEvent, namespace: str) -> str:
    """The key that makes an event exactly-once: `<namespace>:<id>`, or the id itself
    when the route already namespaced it (`line:…`, `shopify:<shop>:…`, `shop:…`), so
    ids from different sources never collide (docs/events.md)."""
    return f"{namespace}:{event.id}" if namespace else event.id


def apply_event(
    event: CanonicalEvent,
    store: IngestStore,
    now: datetime,
    zone: ZoneInfo,
    pause: Callable[[int], None] = backoff,
    namespace: str = "kairos",
    *,
    member_id_key: bytes,
) -> ApplyResult:
    """Apply one event exactly once. `member_id_key` is the brand's key for new member
    ids (kairos.ingest.identity) and erased identifiers' hashes (kairos.ingest.erased).
    An event that would link an erased identifier without a new consent is dropped
    (status `erased`)."""
    key = dedupe_key(event, namespace)
    identifiers = event_identifiers(event)
    referrer_ids = referrer_identifiers(event)
    order_id = event.data.get("order_id") if event.type.startswith("order.") else None
    for attempt in range(MAX_ATTEMPTS):
        owners = store.owners([*identifiers.items(), *referrer_ids.items()])
        resolution = resolve(
            identifiers,
            {k: owners[(k, v)] for k, v in identifiers.items() if (k, v) in owners},
            member_id_key,
        )
        referrer = (
            resolve(
                referrer_ids,
                {k: owners[(k, v)] for k, v in referrer_ids.items() if (k, v) in owners},
                member_id_key,
            )
            if referrer_ids
            else None
        )
        fresh = {**resolution.link, **(referrer.link if referrer else {})}
        stored = store.state(
            resolution.member_id,
            str(order_id) if order_id else None,
            referrer.member_id if referrer else None,
            erasure_checks(event, fresh, member_id_key),
        )
        if stored.erased:
            # An erased member's late event: dropped, nothing written (docs/events.md).
            return ApplyResult(event.id, "", "erased")
        snapshot = Snapshot(
            member_id=resolution.member_id,
            member=stored.member,
            link=resolution.link,
            conflicts=resolution.conflicts,
            order=stored.order,
            referrer_id=referrer.member_id if referrer else None,
            referrer=stored.referrer,
            referrer_link=referrer.link if referrer else {},
        )
        change = plan(event, snapshot, zone)
        committed = store.commit(event, key, now, snapshot, change)
        if committed is Committed.DUPLICATE:
            return ApplyResult(event.id, resolution.member_id, "duplicate")
        if committed is Committed.APPLIED:
            return ApplyResult(event.id, resolution.member_id, change.outcome)
        pause(attempt)
    raise ConcurrentUpdateError(f"event {event.id}: member kept changing, gave up")


def ingest(
    events: Iterable[CanonicalEvent],
    store: IngestStore,
    now: datetime,
    zone: ZoneInfo,
    namespace: str = "kairos",
    *,
    member_id_key: bytes,
) -> list[ApplyResult]:
    """Apply each event exactly once, in order. The caller validated all of them first,
    so a bad event in a batch never leaves the batch half-applied; should a write fail
    mid-batch, each event's own transaction is all or nothing and a resent batch applies
    only what is missing. `namespace` prefixes the dedupe key ("" when the event ids
    are already namespaced by their route); `member_id_key` keys new member ids."""
    results = []
    for event in events:
        result = apply_event(
            event, store, now, zone, namespace=namespace, member_id_key=member_id_key
        )
        logger.info(
            "event applied",
            extra={
                "event_id": event.id,
                "event_type": event.type,
                "member_id": result.member_id,
                "status": result.status,
            },
        )
        results.append(result)
    return results
