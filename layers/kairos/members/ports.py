"""What member administration needs from the store, in domain terms.

The DynamoDB adapter is kairos.store.erasure (erasure) and kairos.store.members
(lookups); raw items never cross these ports, only the store's typed records
(kairos.store.records), as the evaluator's ports do, so the store never imports this
package. Every method reaches items by key:
Query `MEMBER#<id>`, GetItem/Delete on keys computed from the profile, its enrolments
and its timeline (docs/data-model.md, "Erasing a member").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from kairos.models.member import Member
from kairos.store.records import ItemHandle, MemberItems, Timer

__all__ = ["ErasureStore", "ItemHandle", "MemberItems"]


class ErasureStore(Protocol):
    def profile(self, member_id: str) -> Member | None: ...

    def owner(self, kind: str, value: str) -> str | None:
        """The member an identifier belongs to now."""
        ...

    def is_erased(self, identifier_hash: str) -> bool: ...

    def tombstone(self, identifier_hash: str, kind: str, at: datetime, request: str) -> None:
        """Record that an identifier was erased (overwrites an older tombstone)."""
        ...

    def remove_aliases(self, member_id: str, identifiers: Iterable[tuple[str, str]]) -> None:
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
        """Delete the member's entries in these segments and tag index shards, and its
        search index entries (names, joining order) as its profile stands."""
        ...

    def delete_items(self, handles: Iterable[ItemHandle]) -> None: ...

    def delete_profile(self, member_id: str, version: int) -> bool:
        """Delete the profile if still at `version`; False if it changed meanwhile."""
        ...
