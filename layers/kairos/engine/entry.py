"""Who may enter a journey, and when (SPEC §4 triggers and entry rules).

- The trigger: an event of the trigger's type whose `where` holds (event triggers);
  segment, date and schedule triggers are decided by `kairos.engine.triggers` and
  arrive here with a synthetic trigger event.
- `audience` must hold at entry.
- `entry.reentry`: `never` (once per member, ever), `after_exit` (default: not while an
  enrolment of this journey is live), `always` (concurrent enrolments allowed).
- `entry.cooldown`: minimum time since the member's last entry; `max_entries`: a cap.
- Trigger loops: a journey is never started by a member change it made itself (a `tag`
  step tagging what its own trigger listens for), and a chain of journey-made changes
  stops after `MAX_CHAIN` hops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairos.engine.compiled import CompiledJourney, CompiledSegment
from kairos.engine.conditions import context_zone
from kairos.engine.enrolment import Enrolment
from kairos.engine.timing import as_utc, shift

MAX_CHAIN = 5


@dataclass(frozen=True)
class EntryDecision:
    allowed: bool
    reason: str
    """Why not (or "ok"): for counters, logs and `kairos journeys show`."""

    def __bool__(self) -> bool:
        return self.allowed


OK = EntryDecision(True, "ok")


def _no(reason: str) -> EntryDecision:
    return EntryDecision(False, reason)


def origin_of(event: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Where a journey-made event came from (empty for outside events)."""
    if not event:
        return {}
    data = event.get("data")
    origin = data.get("kairos_origin") if isinstance(data, Mapping) else None
    return origin if isinstance(origin, Mapping) else {}


def trigger_matches(
    journey: CompiledJourney, context: Mapping[str, Any], event: Mapping[str, Any], now: datetime
) -> EntryDecision:
    """Does this event start this event-triggered journey? (`context["event"]` is the
    event, as built by member_context.)"""
    trigger = journey.journey.trigger
    if trigger.event is None:
        return _no(f"{trigger.kind} trigger")
    if event.get("type") != trigger.event:
        return _no("other event type")
    origin = origin_of(event)
    if origin.get("journey") == journey.id:
        return _no("made by this journey (trigger loop)")
    if int(origin.get("depth", 0)) >= MAX_CHAIN:
        return _no(f"chain of {MAX_CHAIN} journey-made changes (trigger loop)")
    if not journey.trigger_where.holds(context, now):
        return _no("trigger where does not hold")
    return OK


def entry_allowed(
    journey: CompiledJourney,
    context: Mapping[str, Any],
    history: Sequence[Enrolment],
    now: datetime,
) -> EntryDecision:
    """Audience and entry rules, given this member's past enrolments in this journey."""
    if not journey.audience.holds(context, now):
        return _no("not in audience")
    entry = journey.journey.entry
    if history and entry.reentry == "never":
        return _no("already entered (reentry: never)")
    if entry.reentry == "after_exit" and any(e.live for e in history):
        return _no("still enrolled (reentry: after_exit)")
    if entry.max_entries is not None and len(history) >= entry.max_entries:
        return _no(f"max_entries {entry.max_entries} reached")
    if entry.cooldown is not None and history:
        last = max(as_utc(e.entered_at) for e in history)
        if shift(last, entry.cooldown, context_zone(context)) > as_utc(now):
            return _no("in cooldown")
    return OK


def should_enrol(
    journey: CompiledJourney,
    context: Mapping[str, Any],
    event: Mapping[str, Any],
    history: Sequence[Enrolment],
    now: datetime,
) -> EntryDecision:
    """Trigger (for event triggers), audience and entry rules together."""
    if journey.journey.trigger.event is not None:
        matched = trigger_matches(journey, context, event, now)
        if not matched:
            return matched
    return entry_allowed(journey, context, history, now)


def segment_entered(
    segment: CompiledSegment,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    now: datetime,
    before_now: datetime | None = None,
) -> bool:
    """The member entered the segment: out before (or unknown before: a new member),
    in after. `before_now` is when `before` was true (defaults to now)."""
    if not segment.where.holds(after, now):
        return False
    return before is None or not segment.where.holds(before, before_now or now)
