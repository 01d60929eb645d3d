"""What a journey's LINE sends show on its console page: each LINE step's opens and
clicks as LINE counts them (kairos.reports.line_units, kept by `kairos stats
--refresh-line-units`), and the journey's bill of one month (kairos.reports.cost, as
`kairos stats --cost`).

Request costs (DynamoDB), by key only:
- the steps' LINE figures: one Query of the journey's first counter shard,
  `STATS#<journey>#e0` `begins_with(sk, "LINE#")` (one item per LINE step)
- the month: one BatchGetItem of the month's item in each counter shard,
  `STATS#<journey>#e<n>` / `MONTH#<YYYY-MM>` (keys.STATS_SHARDS keys)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kairos.console.models_journeys import MonthBill, PlanPrice, StepLine
from kairos.engine.compiled import CompiledJourney
from kairos.members.service import InvalidRequest
from kairos.reports.cost import month_bill
from kairos.reports.line_units import line_steps
from kairos.store.costs import MonthCounterStore
from kairos.store.line_units import LineUnitStore

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FIGURES = ("line_billed", "line_free", "email", "sms", "sms_segments")


def month_of(query: Mapping[str, str], now: datetime, zone: ZoneInfo) -> str:
    """`?month=YYYY-MM`; the brand's current month (at the request's time) by default."""
    text = (query.get("month") or "").strip()
    if not text:
        return now.astimezone(zone).strftime("%Y-%m")
    if not MONTH.fullmatch(text):
        raise InvalidRequest(f"month={text!r} is not a month (YYYY-MM)")
    return text


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _moment(value: Any, zone: ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(zone)


def step_line(kept: Mapping[str, Any] | None, zone: ZoneInfo) -> StepLine:
    """One step's figures from its kept unit statistics (None: never read). A figure
    LINE hid is kept as None under its name; one never read is absent."""
    if not kept:
        return StepLine.model_validate(
            {"line_opened": None, "line_opened_hidden": False, "line_clicked": None,
             "line_clicked_hidden": False, "from": None, "to": None, "read_at": None}
        )  # fmt: skip

    def figure(name: str) -> tuple[int | None, bool]:
        value = kept.get(name)
        return (None, name in kept) if value is None else (int(value), False)

    opened, opened_hidden = figure("opened")
    clicked, clicked_hidden = figure("clicked")
    return StepLine.model_validate(
        {
            "line_opened": opened,
            "line_opened_hidden": opened_hidden,
            "line_clicked": clicked,
            "line_clicked_hidden": clicked_hidden,
            "from": _day(kept.get("from")),
            "to": _day(kept.get("to")),
            "read_at": _moment(kept.get("read_at"), zone),
        }
    )


def line_figures(services: Any, journey: CompiledJourney) -> dict[str, StepLine]:
    """Step id → its LINE figures, for every step that may send on LINE (and any other
    step LINE statistics were kept for)."""
    store = LineUnitStore(services.members.table, services.members.client)
    kept = store.unit_stats(journey.id)
    zone = services.settings.zone
    steps = {step for _, step in line_steps([journey])} | (set(kept) & set(journey.steps))
    return {step: step_line(kept.get(step), zone) for step in sorted(steps)}


def journey_month(
    services: Any, journey_id: str, query: Mapping[str, str], now: datetime
) -> MonthBill:
    """The journey's bill of `?month=` (default: this month in the brand's zone)."""
    zone = services.settings.zone
    month = month_of(query, now, zone)
    store = MonthCounterStore(services.members.table, services.members.client)
    bill = month_bill(month, store.month([journey_id], month))
    return MonthBill(
        month=month,
        zone=zone.key,
        **{name: int(bill["total"][name]) for name in FIGURES},
        billable_share=bill["billable_share"],
        plans=[PlanPrice(**plan) for plan in bill["plans"]],
        prices_as_of=date.fromisoformat(bill["prices_as_of"]),
    )
