"""A journey's results (`kairos stats`, the console's journey page): the funnel with
holdout lift, conversion revenue, A/B split arms side by side, and a per-day series in
the brand's days.

Everything is read from the journey's counters (`STATS#<journey>#e<n>` shards and the
legacy `STATS#<journey>`, summed by the engine store; docs/data-model.md):
the engine adds `converted` and the converting order's total (`revenue`) in the same
transaction that ends the enrolment, per split arm too (`converted-arm-<n>`,
`revenue-arm-<n>`), and repeats the journey's own counters per UTC hour so a day series
is one Query per shard, summed into the brand's local days here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from kairos.engine.compiled import CompiledJourney
from kairos.models.journey import SplitStep

SERIES_FIELDS = (
    "entered", "held_out", "converted", "revenue", "revenue_holdout", "completed", "exited",
)  # fmt: skip
_ARM = re.compile(r"^arm-(\d+)$")


class HourlyCounters(Protocol):
    """What `series` reads (kairos.store.enrolments.EngineStore)."""

    def hourly(self, journey_id: str, first: str, last: str) -> dict[str, dict[str, float]]: ...


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def funnel(
    counters: dict[str, dict[str, float]], journey: CompiledJourney | None = None
) -> dict[str, Any]:
    """The journey's totals. `journey` (from the project, optional) names each split
    arm's target and weight."""
    overall = counters.get("-", {})
    entered = int(overall.get("entered", 0))
    held = int(overall.get("held_out", 0))
    converted = int(overall.get("converted", 0))
    converted_holdout = int(overall.get("converted_holdout", 0))
    treated = entered - held
    treated_rate = _rate(converted - converted_holdout, treated)
    holdout_rate = _rate(converted_holdout, held)
    lift = None
    if treated_rate is not None and holdout_rate is not None:
        lift = treated_rate - holdout_rate
    revenue = overall.get("revenue", 0)
    treated_conversions = converted - converted_holdout
    return {
        "entered": entered,
        "held_out": held,
        "converted": converted,
        "completed": int(overall.get("completed", 0)),
        "exited": int(overall.get("exited", 0)),
        "conversion_rate": treated_rate,
        "holdout_conversion_rate": holdout_rate,
        "lift": lift,
        "revenue": _number(revenue),
        "revenue_holdout": _number(overall.get("revenue_holdout", 0)),
        "revenue_per_conversion": (
            _number(revenue / treated_conversions) if treated_conversions else None
        ),
        "arms": arms(counters, journey),
        "steps": {
            step: {name: _number(value) for name, value in sorted(counts.items())}
            for step, counts in sorted(counters.items())
            if step != "-"
        },
    }


def arms(
    counters: dict[str, dict[str, float]], journey: CompiledJourney | None = None
) -> list[dict[str, Any]]:
    """Every split step's arms side by side: members in the arm, conversions, rate and
    revenue (control-group members walk the splits too and are counted in their arm)."""
    targets: dict[tuple[str, int], tuple[str | None, float | None]] = {}
    for spec in journey.journey.steps if journey is not None else []:
        if isinstance(spec, SplitStep):
            for index, arm in enumerate(spec.split):
                targets[(str(spec.id), index)] = (arm.goto, arm.weight)
    rows: list[dict[str, Any]] = []
    for step, counts in sorted(counters.items()):
        for name in sorted(counts, key=lambda n: (len(n), n)):
            found = _ARM.match(name)
            if not found:
                continue
            index = int(found.group(1))
            entered = int(counts[name])
            converted = int(counts.get(f"converted-arm-{index}", 0))
            goto, weight = targets.get((step, index), (None, None))
            rows.append(
                {
                    "split": step,
                    "arm": index,
                    "goto": goto,
                    "weight": weight,
                    "entered": entered,
                    "converted": converted,
                    "conversion_rate": _rate(converted, entered),
                    "revenue": _number(counts.get(f"revenue-arm-{index}", 0)),
                }
            )
    return rows


def series(
    store: HourlyCounters, journey_id: str, first: date, last: date, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """One row per brand-local day from `first` to `last`, days without activity as 0."""
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    hour = "%Y-%m-%dT%H"
    last_hour = (end - timedelta(hours=1)).strftime(hour)
    hours = store.hourly(journey_id, start.strftime(hour), last_hour)
    days: dict[date, dict[str, float]] = {}
    day = first
    while day <= last:
        days[day] = dict.fromkeys(SERIES_FIELDS, 0)
        day += timedelta(days=1)
    for hour, counts in hours.items():
        local = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(zone)
        bucket = days.get(local.date())
        if bucket is None:
            continue
        for name in SERIES_FIELDS:
            bucket[name] += counts.get(name, 0)
    return [
        {"day": d.isoformat(), **{k: _number(v) for k, v in counts.items()},
         "conversion_rate": _rate(counts["converted"], counts["entered"])}
        for d, counts in days.items()
    ]  # fmt: skip
