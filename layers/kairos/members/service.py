"""What staff do to one member, as the CLI and the admin API both call it: look a member
up, read them (profile, tags, stats, notes, a timeline page), list a tag, tag and untag,
add a note.

Tags and notes are applied as canonical events through ingest (`tag.added`,
`tag.removed`, `member.note_added`), like any other event: they land on the timeline,
respect order independence and can trigger journeys. A note is never part of a
template's variables (`profile`, `tags`, `stats`, `event`); only a journey triggered by
`member.note_added` sees one, as its trigger event — that is asking for it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from kairos.ingest.ports import IngestStore
from kairos.ingest.service import ApplyResult, apply_event
from kairos.members.export import MemberIndex
from kairos.models.events import CanonicalEvent, MemberRef
from kairos.models.member import Member

NOTE = "member.note_added"
NOTE_MAX_CHARS = 2000
AUTHOR_MAX_CHARS = 200
LOOKUP_KINDS = {
    "email": "email",
    "phone": "phone",
    "line": "line_user_id",
    "external": "external_id",
}
"""Query parameter → identifier kind (`GET /admin/members?email=…`)."""


class InvalidRequest(ValueError):
    """A request staff can correct (the API answers 400 with this message)."""


class MemberReader(MemberIndex, Protocol):
    def get(self, member_id: str) -> Member | None: ...

    def find(self, kind: str, value: str) -> str | None: ...

    def timeline_page(
        self, member_id: str, limit: int = 50, before: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]: ...

    def timeline_of_kind(
        self, member_id: str, kind: str, limit: int = 50
    ) -> list[dict[str, Any]]: ...


class MemberAdminStore(MemberReader, IngestStore, Protocol):
    """Reads for staff, and ingest's ports to apply their changes as events."""


@dataclass(frozen=True)
class Brand:
    """What applying staff changes needs from the brand."""

    zone: ZoneInfo
    member_id_key: bytes


def identifier(kind: str, value: str) -> tuple[str, str]:
    """A looked-up identifier, normalised as events normalise it (lower-case email,
    E.164 phone); `kind` is `email`, `phone`, `line`, `external` or a full kind name."""
    full = LOOKUP_KINDS.get(kind, kind)
    try:
        [(found_kind, found)] = MemberRef.model_validate({full: value}).identifiers().items()
    except (ValidationError, ValueError) as exc:
        raise InvalidRequest(f"{kind}: not a valid identifier") from exc
    return found_kind, found


def lookup(store: MemberReader, kind: str, value: str) -> str | None:
    return store.find(*identifier(kind, value))


def member_view(
    store: MemberReader, member_id: str, limit: int = 50, before: str | None = None
) -> dict[str, Any] | None:
    """Profile, identifiers, tags, stats, notes (newest first) and a timeline page."""
    member = store.get(member_id)
    if member is None:
        return None
    timeline, cursor = store.timeline_page(member_id, limit, before)
    notes = store.timeline_of_kind(member_id, NOTE)
    data = member.model_dump(mode="json", exclude={"field_times"})
    return {
        "member": data,
        "notes": [{"time": n["time"], **n["data"]} for n in notes],
        "timeline": timeline,
        "next": cursor,
    }


def check_note(author: str, text: str) -> None:
    if not author.strip() or len(author) > AUTHOR_MAX_CHARS:
        raise InvalidRequest(f"author: 1 to {AUTHOR_MAX_CHARS} characters")
    if not text.strip() or len(text) > NOTE_MAX_CHARS:
        raise InvalidRequest(f"text: 1 to {NOTE_MAX_CHARS} characters")
    for s in (author, text):
        if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in s):
            raise InvalidRequest("no control characters (other than newlines and tabs)")
        # JSON's `\ud800` escapes decode to lone surrogates, which no item can store.
        if any(unicodedata.category(c) == "Cs" for c in s):
            raise InvalidRequest("text: a lone surrogate escape (\\ud800-\\udfff) is not text")


def _apply(
    store: MemberAdminStore,
    member_id: str,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    brand: Brand,
    request: str,
) -> ApplyResult | None:
    """Apply one staff change as an event, keyed by the request (a resent request is
    applied once); None when the member does not exist."""
    member = store.get(member_id)
    if member is None or not member.identifiers:
        return None
    try:
        event = CanonicalEvent(
            id=f"{request}:{kind}:{data.get('tag', '')}",
            type=kind,
            time=now,
            member=MemberRef.model_validate(member.identifiers),
            data=data,
        )
    except ValidationError as exc:
        raise InvalidRequest(exc.errors()[0]["msg"]) from exc
    return apply_event(
        event, store, now, brand.zone, namespace="admin", member_id_key=brand.member_id_key
    )


def change_tag(
    store: MemberAdminStore,
    member_id: str,
    tag: str,
    *,
    add: bool,
    now: datetime,
    brand: Brand,
    request: str,
    by: str | None = None,
) -> ApplyResult | None:
    """`by`: who made the change (the signed-in user, the IAM principal), kept on the
    member's timeline entry."""
    kind = "tag.added" if add else "tag.removed"
    data = {"tag": tag, **({"by": by} if by else {})}
    return _apply(store, member_id, kind, data, now, brand, request)


def add_note(
    store: MemberAdminStore,
    member_id: str,
    author: str,
    text: str,
    *,
    now: datetime,
    brand: Brand,
    request: str,
    by: str | None = None,
) -> ApplyResult | None:
    """`author` is shown with the note; `by` records who signed the request (the same
    person for the console; the IAM principal for the admin API)."""
    check_note(author, text)
    data = {"author": author, "text": text, **({"by": by} if by else {})}
    return _apply(store, member_id, NOTE, data, now, brand, request)
