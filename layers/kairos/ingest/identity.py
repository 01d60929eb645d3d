"""Identity resolution: which member an event belongs to.

Every identifier (LINE user id, external id, email, phone) is an alias item pointing at
one member, created with a conditional write so it is unique. The strongest identifier
already known decides the member; identifiers not yet known are linked to it. An
identifier already linked to another member stays there (two existing members are never
merged silently); the conflict is written to the timeline for a person to review.

A new member's id is a keyed hash (HMAC-SHA256 under the brand's `member_id_key`) of its
strongest identifier: deterministic for a given key, so a replayed history yields the
same ids, but nobody who sees an id in a log can confirm a guessed email or phone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from kairos.models.events import IDENTIFIER_KINDS, CanonicalEvent, MemberRef


def event_identifiers(event: CanonicalEvent) -> dict[str, str]:
    """Identifiers the event names for its member, including an email or phone that a
    `profile.updated` sets (setting them links them)."""
    found = event.member.identifiers()
    if event.type == "profile.updated":
        extra = {k: event.data[k] for k in ("email", "phone") if event.data.get(k)}
        if extra:
            merged = {**extra, **found}
            found = MemberRef.model_validate(merged).identifiers()
    return found


def referrer_identifiers(event: CanonicalEvent) -> dict[str, str]:
    if event.type != "order.created" or not event.data.get("referred_by"):
        return {}
    return MemberRef.model_validate(event.data["referred_by"]).identifiers()


def new_member_id(identifiers: dict[str, str], key: bytes) -> str:
    """`m-` and 20 hex digits of HMAC-SHA256(key, "<kind>:<value>") of the strongest
    identifier: the same for the same key (replays agree), unguessable without it."""
    if not key:
        raise ValueError("member ids need a non-empty member_id_key")
    kind = next(k for k in IDENTIFIER_KINDS if k in identifiers)
    return keyed_id("m", f"{kind}:{identifiers[kind]}", key)


def keyed_id(prefix: str, message: str, key: bytes) -> str:
    """`<prefix>-` and 20 hex digits of HMAC-SHA256(key, message): the member ids Kairos
    makes (known members `m-`, website visitors `v-`)."""
    return f"{prefix}-{hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:20]}"


@dataclass(frozen=True)
class Resolution:
    member_id: str
    is_new: bool
    link: dict[str, str] = field(default_factory=dict)
    """Identifiers to create aliases for (unknown until now)."""
    conflicts: dict[str, str] = field(default_factory=dict)
    """Identifier kind → the other member it already belongs to."""


def resolve(identifiers: dict[str, str], known: dict[str, str], key: bytes) -> Resolution:
    """`known` maps identifier kind → member id for the aliases that exist; `key` is the
    brand's member-id key, used only when the member is new."""
    owner = next((known[k] for k in IDENTIFIER_KINDS if k in known), None)
    link = {k: v for k, v in identifiers.items() if k not in known}
    if owner is None:
        return Resolution(member_id=new_member_id(identifiers, key), is_new=True, link=link)
    conflicts = {k: m for k, m in known.items() if m != owner}
    return Resolution(member_id=owner, is_new=False, link=link, conflicts=conflicts)
