"""The console's journeys: the list with each journey's figures over a period, one
journey's graph with per-step counts and its results, and the members waiting at a step.

The journeys are the brand project's (`KAIROS_PROJECT_DIR`, read once per container);
their figures come from the journey counters (kairos.reports.stats, as `kairos stats`),
who waits where from the enrolments' journey index (kairos.store.journey_reads).

Request costs (DynamoDB):
- the list: per journey, its counters (one Query per counter shard, keys.STATS_SHARDS
  + 1) and its hourly series over the period (as many again): 34 small Queries a
  journey
- a journey: the same 34, plus a bounded COUNT per step where members wait (`wait`,
  `wait_for`, `send`: at most WAITING_CAP members each, see journey_reads), and its
  LINE figures and month (kairos.console.journey_line: one Query, one BatchGetItem)
- a step's members: one Query of the journey index a page, one BatchGetItem of the
  page's profiles (names)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from kairos.console.journey_line import journey_month, line_figures
from kairos.console.models_journeys import (
    Arm,
    DayRow,
    Funnel,
    GraphEdge,
    GraphNode,
    Holdout,
    JourneyGraph,
    JourneyInfo,
    JourneyList,
    JourneyPage,
    JourneyRow,
    NodeCounts,
    Period,
    Revenue,
    StepMember,
    StepMembers,
)
from kairos.engine.compiled import CompiledJourney
from kairos.members.service import InvalidRequest
from kairos.project.loader import Project
from kairos.reports.graph import condition_text, journey_graph, trigger_text
from kairos.reports.stats import funnel, series
from kairos.store.enrolments import EngineStore
from kairos.store.journey_reads import WAITING_CAP, BadCursor, JourneyReads

DEFAULT_DAYS = 30
MAX_DAYS = 400
WAITING_KINDS = frozenset({"wait", "wait_for", "send"})
"""Steps where an enrolment rests (a wait, a wait-for, a send held by quiet hours);
members pass through the others within one evaluation, so they are not counted."""


class NotFound(LookupError):
    """The console asked for a journey, step, segment or import there is none of (404)."""


@cache
def _project(project_dir: str) -> Project:
    from kairos.project import load_project

    loaded: Project = load_project(project_dir)
    return loaded


def project_of(services: Any) -> Project | None:
    """The brand project the function was deployed with (None without one)."""
    directory = services.config.project_dir
    return _project(directory) if directory else None


def journeys_of(services: Any) -> dict[str, CompiledJourney]:
    project = project_of(services)
    return dict(sorted(project.journeys.items())) if project else {}


def journey_of(services: Any, journey_id: str) -> CompiledJourney:
    found = journeys_of(services).get(journey_id)
    if found is None:
        raise NotFound(f"no journey {journey_id}")
    return found


def engine_of(services: Any) -> EngineStore:
    return EngineStore(services.members.table, services.members.client)


def reads_of(services: Any) -> JourneyReads:
    return JourneyReads(services.members.table, services.members.client)


def _day(query: Mapping[str, str], name: str) -> date | None:
    text = (query.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{name}={text!r} is not a day (YYYY-MM-DD)") from None


def period(query: Mapping[str, str], now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """`?from=&to=` (brand days, inclusive); the last DEFAULT_DAYS days by default."""
    last = _day(query, "to") or now.astimezone(zone).date()
    first = _day(query, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRequest(f"from={first} is after to={last}")
    if (last - first).days >= MAX_DAYS:
        raise InvalidRequest(f"from={first} to={last} spans more than {MAX_DAYS} days")
    return first, last


def _period(first: date, last: date, zone: ZoneInfo) -> Period:
    return Period.model_validate({"from": first, "to": last, "zone": zone.key})


def list_journeys(services: Any, query: Mapping[str, str], now: datetime) -> JourneyList:
    zone = services.settings.zone
    first, last = period(query, now, zone)
    engine = engine_of(services)
    rows = []
    for journey_id, journey in journeys_of(services).items():
        overall = engine.counters(journey_id).get("-", {})
        days = series(engine, journey_id, first, last, zone)
        active = overall.get("entered", 0) - overall.get("completed", 0)
        rows.append(
            JourneyRow(
                id=journey_id,
                name=journey.journey.name,
                trigger=trigger_text(journey.journey.trigger),
                version=journey.version,
                entered=int(sum(d["entered"] for d in days)),
                active=max(0, int(active - overall.get("exited", 0))),
                converted=int(sum(d["converted"] for d in days)),
            )
        )
    return JourneyList(items=rows, period=_period(first, last, zone))


def _info(journey: CompiledJourney) -> JourneyInfo:
    definition = journey.journey
    return JourneyInfo(
        id=definition.id,
        name=definition.name,
        description=definition.description,
        trigger=trigger_text(definition.trigger),
        version=journey.version,
        holdout=float(definition.holdout or 0),
        goals=[
            goal.event + (f" where {condition_text(goal.where)}" if goal.where else "")
            for goal in definition.exit_on
        ],
    )


def journey_page(
    services: Any, journey_id: str, query: Mapping[str, str], now: datetime
) -> JourneyPage:
    journey = journey_of(services, journey_id)
    zone = services.settings.zone
    first, last = period(query, now, zone)
    bill = journey_month(services, journey_id, query, now)
    engine, reads = engine_of(services), reads_of(services)
    counters = engine.counters(journey_id)
    waiting = {
        step.id: reads.waiting_count(journey_id, step.id)
        for step in journey.steps.values()
        if step.kind in WAITING_KINDS
    }
    graph = journey_graph(journey, counters, waiting)
    line = line_figures(services, journey)
    totals = funnel(counters, journey)
    return JourneyPage(
        journey=_info(journey),
        period=_period(first, last, zone),
        graph=JourneyGraph(
            nodes=[
                GraphNode(
                    id=n.id,
                    kind=n.kind,
                    label=n.label,
                    detail=n.detail,
                    counts=NodeCounts(**n.counts),
                    line=line.get(n.id),
                )
                for n in graph.nodes
            ],
            edges=[
                GraphEdge.model_validate(
                    {"from": e.source, "to": e.target, "label": e.label, "count": e.count}
                )
                for e in graph.edges
            ],
        ),
        funnel=Funnel(
            **{k: totals[k] for k in ("entered", "held_out", "converted", "completed", "exited")},
            conversion_rate=totals["conversion_rate"],
        ),
        holdout=Holdout(
            held_out=totals["held_out"],
            conversion_rate=totals["conversion_rate"],
            holdout_conversion_rate=totals["holdout_conversion_rate"],
            lift=totals["lift"],
        ),
        arms=[Arm(**arm) for arm in totals["arms"]],
        revenue=Revenue(
            total=totals["revenue"],
            holdout=totals["revenue_holdout"],
            per_conversion=totals["revenue_per_conversion"],
        ),
        series=[
            DayRow(**{k: v for k, v in row.items() if k in DayRow.model_fields})
            for row in series(engine, journey_id, first, last, zone)
        ],
        waiting_limit=WAITING_CAP,
        month=bill,
    )


def step_members(
    services: Any, journey_id: str, step_id: str, query: Mapping[str, str]
) -> StepMembers:
    journey = journey_of(services, journey_id)
    if step_id not in journey.steps:
        raise NotFound(f"no step {step_id} in journey {journey_id}")
    limit = page_limit(query)
    try:
        found, cursor = reads_of(services).step_members(
            journey_id, step_id, limit, query.get("cursor") or None
        )
    except BadCursor as exc:
        raise InvalidRequest(str(exc)) from None
    zone = services.settings.zone
    names = {
        m.member_id: m.profile.get("name")
        for m in services.members.profiles([e.member_id for e in found])
    }
    items = [
        StepMember(
            member_id=e.member_id,
            name=str(names[e.member_id]) if names.get(e.member_id) else None,
            state=e.state,
            waiting_for=e.waiting_for.event if e.waiting_for is not None else e.pending,
            waiting_until=e.wait_until.astimezone(zone) if e.wait_until else None,
            entered_at=e.entered_at.astimezone(zone),
            version=e.journey_version,
            holdout=e.holdout,
        )
        for e in found
    ]
    return StepMembers(journey=journey_id, step=step_id, items=items, next=cursor)


def page_limit(query: Mapping[str, str], default: int = 50, most: int = 200) -> int:
    text = (query.get("limit") or "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise InvalidRequest(f"limit={text!r}: a number from 1 to {most}")
    return int(text)
