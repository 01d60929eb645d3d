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
each open). Run it at most daily — the stack does, at 03:30 Taipei (`LineUnits`: the
evaluator's `{"kairos": "refresh-line-units", "time": ...}` event), and `kairos stats
--refresh-line-units` does on demand — a project with 50 LINE steps costs 50 requests a
day. A step LINE refuses is left as it was (its last reading) and the others are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from kairos.delivery.units import unit_name
from kairos.engine.compiled import CompiledJourney
from kairos.models.journey import SendStep
from kairos.observability import logger
from kairos.richmenus.api import LineApiError

LINE_DAYS = ZoneInfo("Asia/Tokyo")
"""LINE's statistics days are UTC+9."""
WINDOW_DAYS = 14

JOB = "refresh-line-units"
"""The `kairos` field of the evaluator's event that runs the daily refresh."""


class RefreshEvent(BaseModel):
    """What the stack's daily rule sends the evaluator: `{"kairos": "refresh-line-units",
    "time": <the rule's scheduled time>}`; that time is the job's "now"."""

    kairos: Literal["refresh-line-units"]
    time: AwareDatetime


class UnitStatisticsApi(Protocol):
    requests: int
    """Requests made so far (kairos.richmenus.api.LineApi counts them)."""

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


@dataclass
class Refreshed:
    read: list[tuple[str, str]] = field(default_factory=list)
    """(journey, step) read and kept."""
    failed: list[tuple[str, str, int]] = field(default_factory=list)
    """(journey, step, LINE's status; 0: unreachable) left as they were."""


def refresh(
    api: UnitStatisticsApi, store: UnitStore, steps: Iterable[tuple[str, str]], now: datetime
) -> Refreshed:
    """Read and keep each step's last 14 days; a step LINE refuses is left as it was."""
    last = now.astimezone(LINE_DAYS).date()
    first = last - timedelta(days=WINDOW_DAYS - 1)
    done = Refreshed()
    for journey, step in steps:
        try:
            answer = api.unit_statistics(unit_name(journey, step), first, last)
        except LineApiError as exc:
            done.failed.append((journey, step, exc.status))
            continue
        stats: dict[str, Any] = {
            **overview(answer),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "read_at": now.isoformat(),
        }
        store.put_unit_stats(journey, step, stats)
        done.read.append((journey, step))
    return done


@dataclass(frozen=True)
class LineUnits:
    """The daily job in the deployed stack (the evaluator function, wired by
    kairos.wiring.evaluator): every LINE send step of the project, LINE over HTTP with
    the channel token from Secrets Manager, the store beside the step counters."""

    api: UnitStatisticsApi
    store: UnitStore
    steps: Sequence[tuple[str, str]]
    token_configured: Callable[[], bool]
    """False when the LINE secret is missing, unreadable or still a placeholder."""

    def refresh(self, now: datetime) -> dict[str, int]:
        """Read and keep every step's last 14 days as of `now` (the schedule's time):
        `{"steps": read, "failed": refused, "requests": made}`. Logs ids only."""
        if not self.steps:
            logger.info("LINE unit statistics: the project has no LINE send steps")
            return {"steps": 0, "failed": 0, "requests": 0}
        if not self.token_configured():
            logger.warning(
                "LINE unit statistics skipped: no LINE channel access token configured",
                extra={"line_steps": len(self.steps)},
            )
            return {"steps": 0, "failed": 0, "requests": 0}
        before = self.api.requests
        done = refresh(self.api, self.store, self.steps, now)
        for journey, step, status in done.failed:
            logger.warning(
                "LINE unit statistics not read",
                extra={"journey": journey, "step": step, "status": status},
            )
        summary = {
            "steps": len(done.read),
            "failed": len(done.failed),
            "requests": self.api.requests - before,
        }
        logger.info("LINE unit statistics read", extra=summary)
        return summary


def shown(value: int | None) -> str:
    """How `kairos stats` prints a LINE figure: LINE hides fewer than 20 people."""
    return "< 20" if value is None else f"{value:,}"
