"""Triggers that are not an incoming event (SPEC §4): segment entry, yearly dates and
cron schedules — when they fire, and the synthetic trigger event an enrolment records.

Time is data (ARCHITECTURE rule 2): the evaluator turns each of these into a timer in
the due index — `next_date_fire_for` when a member's date field is set or changes,
`next_schedule_fire` once per schedule journey, `segment_recheck_at` for segments whose
membership changes with time alone (e.g. dormant: `days_since_last_order gt 90`) — and
calls back here when the timer comes due. Synthetic trigger events have deterministic
ids, so a timer processed twice enrols nobody twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kairos.engine.compiled import CompiledJourney, CompiledSegment
from kairos.engine.paths import value_at
from kairos.engine.timing import as_utc, next_cron, next_date_fire


def _iso(at: datetime) -> str:
    return as_utc(at).isoformat().replace("+00:00", "Z")


def next_date_fire_for(
    journey: CompiledJourney, context: Mapping[str, Any], after: datetime, tz: ZoneInfo
) -> datetime | None:
    """The member's next firing of a `date:` journey strictly after `after` (None when
    the field is empty)."""
    date = journey.journey.trigger.date
    if date is None:
        return None
    value = value_at(date.field, context)
    return next_date_fire(value, date.match, date.at, date.offset, tz, after)


def date_trigger_event(
    journey: CompiledJourney, member_id: str, fire_at: datetime, value: Any
) -> dict[str, Any]:
    """The trigger of a date enrolment: one per member, journey and firing."""
    date = journey.journey.trigger.date
    assert date is not None
    return {
        "id": f"date:{journey.id}:{member_id}:{_iso(fire_at)}",
        "type": "date.reached",
        "time": as_utc(fire_at).isoformat(),
        "data": {"field": date.field, "value": value},
    }


def next_schedule_fire(journey: CompiledJourney, after: datetime, tz: ZoneInfo) -> datetime | None:
    schedule = journey.journey.trigger.schedule
    return None if schedule is None else next_cron(schedule.cron, tz, after)


def schedule_trigger_event(journey: CompiledJourney, fire_at: datetime) -> dict[str, Any]:
    """The trigger shared by everyone a schedule firing enrols (the enrolment id still
    differs per member: it hashes the member too)."""
    schedule = journey.journey.trigger.schedule
    assert schedule is not None
    return {
        "id": f"schedule:{journey.id}:{_iso(fire_at)}",
        "type": "schedule.fired",
        "time": as_utc(fire_at).isoformat(),
        "data": {"cron": schedule.cron, "segment": schedule.segment},
    }


def segment_trigger_event(
    segment: CompiledSegment, member_id: str, at: datetime, cause: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The trigger of a segment enrolment: the event that brought the member in when
    there is one (so `trigger.data.total` of the order that made a VIP is readable),
    else a synthetic `segment.entered` (membership that came with time)."""
    if cause is not None:
        return dict(cause)
    return {
        "id": f"segment:{segment.id}:{member_id}:{_iso(at)}",
        "type": "segment.entered",
        "time": as_utc(at).isoformat(),
        "data": {"segment": segment.id},
    }


def segment_recheck_at(
    segment: CompiledSegment, context: Mapping[str, Any], now: datetime, tz: ZoneInfo
) -> datetime | None:
    """When membership may next change with no event (None: only events change it)."""
    return segment.where.next_change(context, now, tz)


def in_segment(segment: CompiledSegment, context: Mapping[str, Any], now: datetime) -> bool:
    return segment.where.holds(context, now)
