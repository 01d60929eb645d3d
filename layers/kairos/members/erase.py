"""Erase a member: a personal-data deletion request (Taiwan PDPA, GDPR, APPI).

Removes every item of the member — profile, timeline, orders, enrolments, frequency
window, segment and tag index entries, every alias — cancels its due timers, removes
personal fields from its delivery records (their status and channel stay, so counts do
not change), and leaves a tombstone per identifier (a keyed hash, the time, the request
reference) so that a late event naming one does not recreate the member unless it is a
new consent (kairos.ingest.erased).

Order matters for a crash or a concurrent event:
1. tombstones first, then the aliases: from then on an event naming the member's
   identifiers finds no owner, sees the tombstone and is dropped;
2. then what the partition names elsewhere (timers, deliveries, index entries), then
   the partition itself; the profile last, conditional on the version read, so anything
   an event committed in between is found by the next round.
Running it again finishes an interrupted erasure and otherwise changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kairos.engine import effects
from kairos.engine.enrolment import Enrolment
from kairos.evaluator.timer_kinds import step_timer
from kairos.ingest.erased import identifier_hash
from kairos.members.ports import ErasureStore
from kairos.store.records import Timer

ROUNDS = 5
_REASONS: dict[str, effects.TimerReason] = {
    "wait": "wait",
    "wait_for": "wait_for",
    "send": "quiet_hours",
}


@dataclass(frozen=True)
class Erasure:
    member_id: str | None
    status: str
    """`erased`, or `absent` (nothing of it was left: erased before, or never known)."""
    items: int = 0
    timers: int = 0
    deliveries: int = 0
    identifiers: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "member_id": self.member_id,
            "status": self.status,
            "items_removed": self.items,
            "timers_cancelled": self.timers,
            "deliveries_scrubbed": self.deliveries,
            "identifiers_tombstoned": self.identifiers,
        }


def pending_timers(enrolments: Iterable[Enrolment]) -> list[Timer]:
    """The due timer each waiting enrolment set, located from its own fields (the
    evaluator names them `step:<enrolment>:<at>:<reason>`, kairos.evaluator.timer_kinds)."""
    found = []
    for e in enrolments:
        if e.wait_until is None or e.pending is None:
            continue
        effect = effects.Timer(
            enrolment_id=e.id, member_id=e.member_id, at=e.wait_until, reason=_REASONS[e.pending]
        )
        found.append(step_timer(effect, e.journey))
    return found


def find_member(store: ErasureStore, kind: str, value: str, key: bytes) -> tuple[str | None, bool]:
    """(member id, erased before) for an identifier."""
    owner = store.owner(kind, value)
    if owner is not None:
        return owner, False
    return None, store.is_erased(identifier_hash(kind, value, key))


def erase(
    member_id: str,
    store: ErasureStore,
    now: datetime,
    request: str,
    *,
    member_id_key: bytes,
    segment_ids: Iterable[str] = (),
) -> Erasure:
    """Erase `member_id`; `request` is the deletion request's reference (a ticket id),
    kept with each tombstone; `segment_ids` are the brand's segments."""
    segments = list(segment_ids)
    profile = store.profile(member_id)
    # Every alias the member ever had, not only today's one per kind (a changed email,
    # a merged member's): each would otherwise keep the identifier pointing here.
    identifiers = dict.fromkeys(profile.linked()) if profile else {}
    tags: set[str] = set(profile.tags) if profile else set()
    removed = timers = deliveries = 0
    for _ in range(ROUNDS):
        for kind, value in identifiers:
            store.tombstone(identifier_hash(kind, value, member_id_key), kind, now, request)
        store.remove_aliases(member_id, identifiers)
        items = store.partition(member_id)
        timers += store.cancel_timers([*pending_timers(items.enrolments), *items.timers])
        deliveries += store.scrub_deliveries(items.delivery_ids)
        store.leave_index(member_id, segments, tags)
        store.delete_items(items.handles)
        removed += len(items.handles)
        if profile is None or store.delete_profile(member_id, profile.version):
            break
        # An event changed the member meanwhile: erase what it added too.
        profile = store.profile(member_id)
        if profile is not None:
            identifiers.update(dict.fromkeys(profile.linked()))
            tags.update(profile.tags)
    else:
        raise RuntimeError(f"member {member_id} kept changing; run the erasure again")
    found = bool(identifiers) or removed > 0 or profile is not None
    return Erasure(
        member_id=member_id,
        status="erased" if found else "absent",
        items=removed + (1 if profile is not None else 0),
        timers=timers,
        deliveries=deliveries,
        identifiers=len(identifiers),
    )
