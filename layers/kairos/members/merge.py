"""Merge two members on purpose: `kairos members merge KEEP ABSORB`.

Kairos never merges automatically (docs/events.md, "two existing members"); staff who
know that a LINE friend and a shop customer are one person merge them here:
- ABSORB's timeline entries and orders move to KEEP (same keys under KEEP's partition),
  so the timelines are joined and KEEP's statistics are recomputed from both order
  histories (an order id both hold counts once, KEEP's copy);
- profile fields: the newest wins, field by field, by each field's stamp
  (`field_times`); `joined_at` is the earlier, `last_interaction_at` the later;
  identifiers KEEP lacks are taken; tags are united;
- ABSORB's aliases are repointed to KEEP (conditional on still being ABSORB's);
- ABSORB's enrolments end: their due timers are cancelled and the enrolments removed
  with the rest of ABSORB's partition, its segment and tag index entries too; so are
  its date and segment-recheck timers (KEEP's own follow KEEP's next change);
- KEEP's timeline records `member.merged` (the absorbed id, the request).
KEEP's profile is written with a version check and keeps its `last_event`, so the
evaluator does not see the merge as a new event. Idempotent: a merge run again after it
finished finds no ABSORB and changes nothing; one interrupted finishes when run again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kairos.ingest.browse import merge_views
from kairos.ingest.statistics import OrderContribution, add_order
from kairos.members.erase import pending_timers
from kairos.members.ports import ErasureStore
from kairos.models.member import Member, Stats

MERGED = "member.merged"
ROUNDS = 5


class MergeStore(ErasureStore, Protocol):
    def move_history(self, absorb: str, keep: str) -> int:
        """Copy ABSORB's timeline entries and orders under KEEP (orders KEEP already
        holds are kept as they are); the number copied."""
        ...

    def orders(self, member_id: str) -> list[OrderContribution]: ...

    def put_profile(self, member: Member, expected_version: int) -> bool:
        """Write KEEP's profile if still at `expected_version` (its `last_event` kept)."""
        ...

    def repoint_aliases(
        self, absorb: str, keep: str, identifiers: Iterable[tuple[str, str]]
    ) -> None: ...

    def record(
        self, member_id: str, at: datetime, entry_id: str, kind: str, data: dict[str, Any]
    ) -> None:
        """One timeline entry."""
        ...

    def index_tags(self, member_id: str, tags: Iterable[str]) -> None:
        """Tag index entries for these tags of the member."""
        ...


@dataclass(frozen=True)
class Merged:
    keep: str
    absorb: str
    status: str
    """`merged`, or `absent` (ABSORB is gone: merged before, or never known)."""
    moved: int = 0

    def as_json(self) -> dict[str, object]:
        return {"keep": self.keep, "absorbed": self.absorb, "status": self.status,
                "entries_moved": self.moved}  # fmt: skip


def _get(values: dict[str, Any], path: list[str]) -> tuple[bool, Any]:
    for part in path[:-1]:
        inner = values.get(part)
        if not isinstance(inner, dict):
            return False, None
        values = inner
    return (path[-1] in values), values.get(path[-1])


def _set(values: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        inner = values.get(part)
        if not isinstance(inner, dict):
            inner = {}
            values[part] = inner
        values = inner
    values[path[-1]] = value


def merged_profile(keep: Member, absorb: Member, orders: list[OrderContribution]) -> Member:
    """KEEP with ABSORB's newer fields, identifiers, tags, and stats from `orders`."""
    result = keep.model_copy(deep=True)
    for field, stamp in absorb.field_times.items():
        if field.startswith("tag."):
            continue
        if stamp <= keep.field_times.get(field, ""):
            continue
        found, value = _get(absorb.profile, field.split("."))
        if found:
            _set(result.profile, field.split("."), value)
            result.field_times[field] = stamp
    for key, value in absorb.profile.items():
        result.profile.setdefault(key, value)
    for key, pick in (("joined_at", min), ("last_interaction_at", max)):
        both = [v for v in (keep.profile.get(key), absorb.profile.get(key)) if v]
        if both:
            result.profile[key] = pick(both)
    for kind, value in absorb.identifiers.items():
        result.identifiers.setdefault(kind, value)
    for kind, value in absorb.linked():
        result.link({kind: value})  # the aliases repointed to KEEP, for its erasure
    result.tags = sorted(set(keep.tags) | set(absorb.tags))
    for field, stamp in absorb.field_times.items():
        if field.startswith("tag.") and field[4:] in result.tags:
            result.field_times[field] = max(stamp, keep.field_times.get(field, ""))
    stats = Stats(
        referrals=keep.stats.referrals + absorb.stats.referrals,
        views=merge_views(keep.stats.views, absorb.stats.views),
    )
    for order in orders:
        if not order.cancelled:
            stats = add_order(stats, order)
    result.stats = stats
    result.version = keep.version + 1
    return result


def merge(
    keep_id: str,
    absorb_id: str,
    store: MergeStore,
    now: datetime,
    request: str,
    *,
    segment_ids: Iterable[str] = (),
    by: str | None = None,
) -> Merged:
    """ABSORB into KEEP; `by` (who asked) is kept on KEEP's timeline entry."""
    if keep_id == absorb_id:
        raise ValueError("KEEP and ABSORB are the same member")
    keep = store.profile(keep_id)
    if keep is None:
        raise LookupError(f"no member {keep_id}")
    absorb = store.profile(absorb_id)
    if absorb is None:
        return Merged(keep_id, absorb_id, "absent")
    segments = list(segment_ids)
    moved = store.move_history(absorb_id, keep_id)
    for _ in range(ROUNDS):
        keep = store.profile(keep_id)
        if keep is None:
            raise LookupError(f"no member {keep_id}")
        combined = merged_profile(keep, absorb, store.orders(keep_id))
        if store.put_profile(combined, keep.version):
            break
    else:
        raise RuntimeError(f"member {keep_id} kept changing; run the merge again")
    store.index_tags(keep_id, set(combined.tags) - set(keep.tags))
    store.repoint_aliases(absorb_id, keep_id, absorb.linked())
    entry = {"absorbed": absorb_id, "request": request, **({"by": by} if by else {})}
    store.record(keep_id, now, f"merge-{absorb_id}", MERGED, entry)
    items = store.partition(absorb_id)
    store.cancel_timers([*pending_timers(items.enrolments), *items.timers])
    store.leave_index(absorb_id, segments, absorb.tags)
    store.delete_items(items.handles)
    store.delete_profile(absorb_id, absorb.version)
    return Merged(keep_id, absorb_id, "merged", moved)
