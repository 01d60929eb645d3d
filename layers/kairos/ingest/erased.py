"""Erased identifiers: what an erasure leaves behind, and which events may come back.

Erasing a member (kairos.members.erase) removes every alias and leaves one tombstone per
identifier, keyed by a keyed hash of it (`identifier_hash`): the table never again holds
the email, phone or LINE id in clear, yet a late event naming that identifier is
recognised. Such an event is dropped (status `erased`) unless it is itself a new consent
(`grants_consent`), which starts a new member from nothing.

Consent, decided here and documented in docs/events.md ("Erasure"):
- `line.follow`: the person added the brand's LINE account again, by their own action;
- `profile.updated` whose `consent` grants at least one channel (`{email: true}`), as a
  brand's sign-up form sends it.
Orders, messages, clicks, tags and every other event are not consent: a shop that still
sends the old customer's orders does not bring the erased member back.
"""

from __future__ import annotations

import hashlib
import hmac

from kairos.models.events import CanonicalEvent


def identifier_hash(kind: str, value: str, key: bytes) -> str:
    """HMAC-SHA256 under the brand's member-id key of `erased:<kind>:<value>`: nobody
    without the key can test a guessed email against a tombstone."""
    if not key:
        raise ValueError("identifier hashes need a non-empty member_id_key")
    return hmac.new(key, f"erased:{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def grants_consent(event: CanonicalEvent) -> bool:
    """Does this event bring an erased identifier back (a new, explicit consent)?"""
    if event.type == "line.follow":
        return True
    if event.type == "profile.updated":
        consent = event.data.get("consent")
        return isinstance(consent, dict) and any(v is True for v in consent.values())
    return False
