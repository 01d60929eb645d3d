"""LINE's opens and clicks per journey step, from its unit statistics.

Every push and multicast of a step carries the step's unit name (kairos.delivery.units).
`refresh` asks LINE for each LINE send step's unit over the last 14 days (LINE keeps a
unit's statistics updated for 14 days after a send; `from`/`to` are LINE's days, UTC+9)
— `GET /v2/bot/insight/message/event/aggregation`, one request per step — and keeps
the overview beside the step's counters (`STATS#<journey>#e0` / `LINE#<step>`,
kairos.store.line_units): unique opens (`uniqueImpression`) and unique clicks
(`uniqueClick`), None where LINE hides a number (under 20 people), and when it was read.

They are aggregates of the last 14 days' sends of the step, not per member: LINE never
says *who* opened, so `steps.<id>.opened` in conditions stays email-only (SES reports
each open). Run it at most daily (`kairos stats --refresh-line-units`): a project with
50 LINE steps costs 50 requests a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from kairos.delivery.units import unit_name
from kairos.engine.compiled import CompiledJourney
from kairos.models.journey import SendStep

LINE_DAYS = ZoneInfo("Asia/Tokyo")
"""LINE's statistics days are UTC+9."""
WINDOW_DAYS = 14


class UnitStatisticsApi(Protocol):
    def unit_statistics(self, unit: str, first: date, last: date) -> dict[str, Any]: ...


class UnitStore(Protocol):
    def put_unit_stats(self, journey: str, step: str, stats: dict[str, Any]) -> None: ...


def line_steps(journeys: Iterable[CompiledJourney]) -> list[tuple[str, str]]:
    """(journey, step) of every step that may send on LINE."""
    out = []
    for journey in journeys:
        for step in journey.send_steps():
            assert isinstance(step.spec, SendStep)
            send = step.spec.send
            if send.channel in ("line", "auto") or "line" in send.fallback:
                out.append((journey.id, step.id))
    return sorted(out)


def overview(answer: dict[str, Any]) -> dict[str, int | None]:
    view = answer.get("overview") or {}

    def number(name: str) -> int | None:
        value = view.get(name)
        return None if value is None else int(value)

    return {"opened": number("uniqueImpression"), "clicked": number("uniqueClick")}


def refresh(
    api: UnitStatisticsApi, store: UnitStore, steps: Iterable[tuple[str, str]], now: datetime
) -> int:
    """Read and keep each step's last 14 days; returns the steps read."""
    last = now.astimezone(LINE_DAYS).date()
    first = last - timedelta(days=WINDOW_DAYS - 1)
    read = 0
    for journey, step in steps:
        answer = api.unit_statistics(unit_name(journey, step), first, last)
        stats: dict[str, Any] = {
            **overview(answer),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "read_at": now.isoformat(),
        }
        store.put_unit_stats(journey, step, stats)
        read += 1
    return read


def shown(value: int | None) -> str:
    """How `kairos stats` prints a LINE figure: LINE hides fewer than 20 people."""
    return "< 20" if value is None else f"{value:,}"
