"""What ingest needs from the store, in domain terms.

Three small ports, one algorithm (kairos.ingest.service): find who owns identifiers,
read a member's state (with which of the identifiers were erased, in the same read),
commit one event's change conditionally. The DynamoDB adapter (kairos.store.members)
implements all three; raw items never cross them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from kairos.ingest.profile import Change, Snapshot
from kairos.ingest.statistics import OrderContribution
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member

Identifier = tuple[str, str]
"""(kind, value): `("email", "amy@example.com")`."""


@dataclass(frozen=True)
class StoredState:
    """What the store holds for one event's member: profile, the order it names, the
    referrer's profile (each None when absent), and which of the identifier hashes
    asked about have a tombstone."""

    member: Member | None
    order: OrderContribution | None = None
    referrer: Member | None = None
    erased: frozenset[str] = frozenset()


class Committed(Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    """The event id was applied before: nothing written."""
    RACED = "raced"
    """Another writer changed the member or claimed an identifier first: read again."""


class IdentityIndex(Protocol):
    def owners(self, identifiers: Iterable[Identifier]) -> dict[Identifier, str]:
        """The member id owning each identifier that is known (one batch read)."""
        ...


class MemberSnapshots(Protocol):
    def state(
        self,
        member_id: str,
        order_id: str | None,
        referrer_id: str | None,
        erased: Iterable[str] = (),
    ) -> StoredState:
        """One batch read: the profile, the order, the referrer, and the tombstones of
        the identifier hashes in `erased` (kairos.ingest.erased)."""
        ...


class EventCommits(Protocol):
    def commit(
        self, event: CanonicalEvent, key: str, now: datetime, snapshot: Snapshot, change: Change
    ) -> Committed:
        """All or nothing: the event marker (under the dedupe `key`), the profile (if
        unchanged since the snapshot), the timeline entry, new identifiers, the order,
        the referrer."""
        ...


class IngestStore(IdentityIndex, MemberSnapshots, EventCommits, Protocol):
    """Everything the ingest service uses, as one parameter."""
