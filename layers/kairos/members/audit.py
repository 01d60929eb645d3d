"""The audit trail, in domain terms: every staff change (tag, untag, note, erase, merge)
and every export records who made it, their role, what they did, to which member, and
the detail (ids, tags, filters, counts; never a member's personal data: a note's text
stays on the member's timeline, not in the log).

`by` is the signed-in console user's name, or the IAM principal's ARN for the admin
API (the command line); `role` is their console role, or `iam`. The DynamoDB adapter
is kairos.store.audit; it runs on the memory backend as on DynamoDB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from kairos.store.audit import AuditRecord

__all__ = ["ACTIONS", "AuditRecord", "AuditTrail", "record"]

TAG_ADDED = "tag.added"
TAG_REMOVED = "tag.removed"
NOTE_ADDED = "note.added"
ERASED = "member.erased"
MERGED = "member.merged"
EXPORTED = "members.exported"
IMPORT_STARTED = "import.started"
IMPORT_CHUNK = "import.chunk"
ACTIONS = (
    TAG_ADDED, TAG_REMOVED, NOTE_ADDED, ERASED, MERGED, EXPORTED, IMPORT_STARTED, IMPORT_CHUNK,
)  # fmt: skip
IAM_ROLE = "iam"
"""The role recorded for the admin API's callers (IAM decides what they may do)."""


class AuditTrail(Protocol):
    def record(self, entry: AuditRecord) -> None: ...

    def page(
        self, limit: int = 50, before: str | None = None
    ) -> tuple[list[AuditRecord], str | None]:
        """Newest first, older than the cursor; the next cursor (None at the end)."""
        ...

    def of_member(
        self, member_id: str, limit: int = 50, before: str | None = None
    ) -> tuple[list[AuditRecord], str | None]: ...


def record(
    trail: AuditTrail,
    *,
    now: datetime,
    request_id: str,
    by: str,
    role: str,
    action: str,
    member_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one change or export."""
    trail.record(
        AuditRecord(
            time=now,
            request_id=request_id,
            by=by,
            role=role,
            action=action,
            member_id=member_id,
            detail=dict(detail or {}),
        )
    )
