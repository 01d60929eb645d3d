"""Apply canonical events to members: the webhook's one call into the domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from kairos.ingest.profile import Change, Snapshot, plan
from kairos.models.events import CanonicalEvent
from kairos.observability import logger
from kairos.store.members import ApplyResult, Planner


class EventStore(Protocol):
    def apply(self, event: CanonicalEvent, now: datetime, planner: Planner) -> ApplyResult: ...


def ingest(
    events: Iterable[CanonicalEvent], store: EventStore, now: datetime, zone: ZoneInfo
) -> list[ApplyResult]:
    """Apply each event exactly once, in order. The caller validated all of them first,
    so a bad event in a batch never leaves the batch half-applied."""
    results = []
    for event in events:

        def planner(snapshot: Snapshot, event: CanonicalEvent = event) -> Change:
            return plan(event, snapshot, zone)

        result = store.apply(event, now, planner)
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
