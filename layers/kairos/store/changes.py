"""The table's change stream, read as member changes: the DynamoDB adapter of the
evaluator's change source. A stream record's images become domain members here, so no
raw item reaches the evaluator.

Only profile records that carry a new applied event are changes (each profile write
carries `last_event`, so one record is one applied event); deletions and rewrites
without a new event are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairos.clock import from_epoch_ms
from kairos.models.member import Member
from kairos.store.codec import from_item
from kairos.store.members import member_from_item


@dataclass(frozen=True)
class MemberChange:
    after: Member
    before: Member | None
    event: dict[str, Any]
    """The canonical event that was applied (as stored with the profile)."""
    at: datetime
    """When the change was committed: the evaluator's "now" for it."""


def member_change(record: dict[str, Any]) -> MemberChange | None:
    """The member change a stream record (Lambda's `dynamodb` part) stands for, if any."""
    new_image = record.get("NewImage")
    if not new_image:
        return None  # a deleted profile: nothing to evaluate
    old_image = record.get("OldImage")
    if old_image and old_image.get("last_event_id") == new_image.get("last_event_id"):
        return None  # rewritten without a new event
    return MemberChange(
        after=member_from_item(new_image),
        before=member_from_item(old_image) if old_image else None,
        event=from_item(new_image).get("last_event") or {},
        at=from_epoch_ms(float(record["ApproximateCreationDateTime"]) * 1000),
    )


def member_changes(record: dict[str, Any]) -> list[MemberChange]:
    """Every event a stream record carries: a website's batch is one profile write with
    its events in `last_events` (kairos.store.visitors), each evaluated in turn."""
    change = member_change(record)
    if change is None:
        return []
    events = from_item(record["NewImage"]).get("last_events")
    if not isinstance(events, list) or len(events) < 2:
        return [change]
    # The state changed once: the first event sees the change, the others none (so a
    # segment entered is entered once).
    return [
        MemberChange(
            after=change.after, before=change.before if n == 0 else change.after,
            event=event, at=change.at,
        )
        for n, event in enumerate(e for e in events if isinstance(e, dict))
    ]  # fmt: skip
