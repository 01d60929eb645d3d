"""What member administration needs from the store, in domain terms.

The DynamoDB adapter is kairos.store.erasure (erasure) and kairos.store.members
(lookups); raw items never cross these ports. Every method reaches items by key:
Query `MEMBER#<id>`, GetItem/Delete on keys computed from the profile, its enrolments
and its timeline (docs/data-model.md, "Erasing a member").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kairos.engine.enrolment import Enrolment
from kairos.models.member import Member
from kairos.store.records import Timer

ItemHandle = tuple[str, str]
"""An item of the member's partition as the store named it; opaque to the service."""


@dataclass(frozen=True)
class MemberItems:
    """Everything under the member's own key: enough to find what lies elsewhere."""

    handles: tuple[ItemHandle, ...] = ()
    """Every item but the profile (timeline, orders, enrolments, frequency window)."""
    enrolments: tuple[Enrolment, ...] = ()
    delivery_ids: tuple[str, ...] = ()
    """Deliveries named by the member's `delivery.*` timeline entries."""


class ErasureStore(Protocol):
    def profile(self, member_id: str) -> Member | None: ...

    def owner(self, kind: str, value: str) -> str | None:
        """The member an identifier belongs to now."""
        ...

    def is_erased(self, identifier_hash: str) -> bool: ...

    def tombstone(self, identifier_hash: str, kind: str, at: datetime, request: str) -> None:
        """Record that an identifier was erased (overwrites an older tombstone)."""
        ...

    def remove_aliases(self, member_id: str, identifiers: dict[str, str]) -> None:
        """Delete each alias that still points at this member."""
        ...

    def partition(self, member_id: str) -> MemberItems: ...

    def cancel_timers(self, timers: Iterable[Timer]) -> int:
        """Delete these due timers where they are; the number that existed."""
        ...

    def scrub_deliveries(self, delivery_ids: Iterable[str]) -> int:
        """Remove personal fields from these delivery records, keeping status, channel,
        journey, step and time (anonymous counts); the number found."""
        ...

    def leave_index(self, member_id: str, segment_ids: Iterable[str], tags: Iterable[str]) -> None:
        """Delete the member's entries in these segments and tag index shards."""
        ...

    def delete_items(self, handles: Iterable[ItemHandle]) -> None: ...

    def delete_profile(self, member_id: str, version: int) -> bool:
        """Delete the profile if still at `version`; False if it changed meanwhile."""
        ...
