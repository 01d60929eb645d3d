"""What staff change from the console: tag, untag, note (any role), erase and merge
(admins, with the request's reference), and the audit log they leave (admins).

Each change goes through the same kairos.members services as the admin API and the
command line, applied as an event keyed by API Gateway's request id (a resent request
applies once); `by` is the signed-in user, never free text: a note's author is the
user. Every change lands in the audit trail (kairos.members.audit) and, as a timeline
entry with `data.by`, in the member's history (kind `staff`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kairos.console.models import (
    AuditEntry,
    AuditPage,
    EraseAnswer,
    MergeAnswer,
    NoteAnswer,
    TagAnswer,
)
from kairos.console.request import Principal
from kairos.members import audit
from kairos.members.audit import AuditRecord, AuditTrail
from kairos.members.erase import erase
from kairos.members.merge import MergeStore, merge
from kairos.members.service import Brand, InvalidRequest, MemberAdminStore, add_note, change_tag

REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}")
"""A request reference as support desks write them (`DSR-2026-0042`)."""
MAX_AUDIT_PAGE = 200


class Staff:
    """One signed-in user's change, at one request: who, when, which request."""

    def __init__(
        self, principal: Principal, now: datetime, request_id: str, trail: AuditTrail
    ) -> None:
        self.principal = principal
        self.now = now
        self.request_id = request_id
        self.trail = trail

    @property
    def by(self) -> str:
        return self.principal.username

    def record(self, action: str, member_id: str | None, detail: dict[str, Any]) -> None:
        audit.record(
            self.trail, now=self.now, request_id=self.request_id, by=self.by,
            role=self.principal.role or "none", action=action, member_id=member_id,
            detail=detail,
        )  # fmt: skip


def tag(
    staff: Staff, store: MemberAdminStore, brand: Brand, member_id: str, name: str, *, add: bool
) -> TagAnswer | None:
    """None when there is no such member."""
    if not name.strip() or len(name) > 100:
        raise InvalidRequest("tag: 1 to 100 characters")
    result = change_tag(
        store, member_id, name, add=add, now=staff.now, brand=brand,
        request=staff.request_id, by=staff.by,
    )  # fmt: skip
    if result is None:
        return None
    staff.record(audit.TAG_ADDED if add else audit.TAG_REMOVED, member_id, {"tag": name})
    member = store.get(member_id)
    return TagAnswer(member_id=member_id, tags=list(member.tags) if member else [])


def note_text(body: bytes) -> str:
    """`{"text": "…"}`; any `author` is refused: the author is who signed in."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidRequest("body: a JSON object expected") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise InvalidRequest('text: a string expected ({"text": "…"})')
    extra = sorted(set(data) - {"text"})
    if extra:
        raise InvalidRequest(f"{extra[0]}: not accepted (the author is the signed-in user)")
    text: str = data["text"]
    return text


def note(
    staff: Staff, store: MemberAdminStore, brand: Brand, member_id: str, body: bytes
) -> NoteAnswer | None:
    text = note_text(body)
    result = add_note(
        store, member_id, staff.by, text, now=staff.now, brand=brand,
        request=staff.request_id, by=staff.by,
    )  # fmt: skip
    if result is None:
        return None
    staff.record(audit.NOTE_ADDED, member_id, {"chars": len(text)})
    return NoteAnswer(member_id=member_id, author=staff.by, status=result.status)


def reference(query: Mapping[str, str]) -> str:
    """`?request=REF`: the deletion or merge request being carried out (required)."""
    given = (query.get("request") or "").strip()
    if not REFERENCE.fullmatch(given):
        raise InvalidRequest(
            "request: the request's reference (letters, digits, . _ : / # -; up to 100)"
        )
    return given


def erase_member(
    staff: Staff,
    store: MergeStore,
    brand: Brand,
    member_id: str,
    query: Mapping[str, str],
    segment_ids: Iterable[str],
) -> EraseAnswer:
    ref = reference(query)
    done = erase(
        member_id, store, staff.now, ref, member_id_key=brand.member_id_key,
        segment_ids=segment_ids,
    )  # fmt: skip
    if done.status == "erased":
        staff.record(audit.ERASED, member_id, {"request": ref})
    return EraseAnswer.model_validate({**done.as_json(), "request": ref})


def merge_members(
    staff: Staff,
    store: MergeStore,
    keep: str,
    absorb: str,
    query: Mapping[str, str],
    segment_ids: Iterable[str],
) -> MergeAnswer | None:
    """None when KEEP does not exist."""
    if keep == absorb:
        raise InvalidRequest("absorb_id: the same member as member_id")
    ref = reference(query)
    try:
        done = merge(keep, absorb, store, staff.now, ref, segment_ids=segment_ids, by=staff.by)
    except LookupError:
        return None
    if done.status == "merged":
        staff.record(audit.MERGED, keep, {"absorbed": absorb, "request": ref})
    return MergeAnswer.model_validate({**done.as_json(), "request": ref})


def _entry(record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        time=record.time, by=record.by, role=record.role, action=record.action,
        member_id=record.member_id, detail=record.detail, request_id=record.request_id,
    )  # fmt: skip


def audit_page(trail: AuditTrail, query: Mapping[str, str]) -> AuditPage:
    """`?before=&member=&limit=`: the log newest first (or one member's entries)."""
    raw = query.get("limit") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_AUDIT_PAGE:
        raise InvalidRequest(f"limit: a whole number from 1 to {MAX_AUDIT_PAGE}")
    before = query.get("before") or None
    if before is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}T[^#]{1,40}#.{1,200}", before):
        raise InvalidRequest("before: the `next` of a previous page")
    member = query.get("member") or None
    if member is not None and len(member) > 200:
        raise InvalidRequest("member: a member id")
    if member is not None:
        records, cursor = trail.of_member(member, int(raw), before)
    else:
        records, cursor = trail.page(int(raw), before)
    return AuditPage(items=[_entry(r) for r in records], next=cursor)
