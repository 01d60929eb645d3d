"""The member context conditions and templates read, with fields derived at evaluation
time (SPEC §2): `stats.days_since_last_order`, `stats.rfm.{r,f,m,segment}` and
`stats.lifecycle`.

RFM scores are 1–5 from `kairos.yaml: rfm` (four ascending cut points each): recency
scores 5 when the last order is at most `recency_days[0]` days ago, down to 1 beyond
`recency_days[3]`; frequency and monetary score 1 below the first cut point and one more
for each cut point reached. A member without orders has no scores (null) and no RFM
segment. The RFM segment is the first of `RFM_SEGMENTS` that matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from kairos.engine.condition_compiler import compile_condition
from kairos.engine.conditions import Condition
from kairos.engine.paths import MEMBER_ROOTS, Scope
from kairos.engine.timing import as_utc, calendar_days_between, wall_clock
from kairos.models.member import Member
from kairos.models.settings import LifecycleStage, Rfm, Settings

RfmRule = Callable[[int, int, int], bool]

RFM_SEGMENTS: tuple[tuple[str, RfmRule], ...] = (
    ("champions", lambda r, f, m: r >= 4 and f >= 4 and m >= 4),  # recent, frequent, big
    ("loyal", lambda r, f, m: r >= 3 and f >= 3),  # buy regularly
    ("new", lambda r, f, m: r >= 4 and f == 1),  # first order, recently
    ("promising", lambda r, f, m: r >= 3),  # recent, still few orders
    ("at_risk", lambda r, f, m: f >= 3),  # used to buy often, gone quiet
    ("hibernating", lambda r, f, m: r == 2),  # a few orders, a while ago
    ("lost", lambda r, f, m: True),  # few orders, long ago
)
"""Named RFM segments, first match wins (`stats.rfm.segment`)."""

LIFECYCLE_SCOPE = Scope(
    roots=MEMBER_ROOTS,
    where="in lifecycle",
    forbidden=frozenset({"stats.lifecycle"}),
    segments_allowed=False,
)


def _up_score(value: float, cuts: list[float]) -> int:
    return 1 + sum(1 for cut in cuts if value >= cut)


def rfm_scores(
    days_since: int | None, order_count: int, total_spent: float, rfm: Rfm
) -> dict[str, Any]:
    if days_since is None or order_count <= 0:
        return {"r": None, "f": None, "m": None, "segment": None}
    r = 5 - sum(1 for cut in rfm.recency_days if days_since > cut)
    f = _up_score(order_count, rfm.frequency)
    m = _up_score(total_spent, rfm.monetary)
    segment = next(name for name, rule in RFM_SEGMENTS if rule(r, f, m))
    return {"r": r, "f": f, "m": m, "segment": segment}


@lru_cache(maxsize=32)
def _lifecycle_rules(frozen: str) -> tuple[tuple[str, Condition], ...]:
    stages = [LifecycleStage.model_validate(s) for s in json.loads(frozen)]
    return tuple(
        (s.stage, compile_condition(s.when, LIFECYCLE_SCOPE, f"lifecycle[{i}].when"))
        for i, s in enumerate(stages)
    )


_last_rules: list[tuple[list[LifecycleStage], tuple[tuple[str, Condition], ...]]] = []
"""The last stages compiled, as a copy, and their rules: every member context asks."""


def lifecycle_rules(settings: Settings) -> tuple[tuple[str, Condition], ...]:
    """Compiled `lifecycle` rules (cached: settings change only with a deployment)."""
    stages = settings.lifecycle
    if _last_rules and _last_rules[0][0] == stages:  # equal stages: no JSON to build
        return _last_rules[0][1]
    frozen = json.dumps([s.model_dump(mode="json") for s in stages], sort_keys=True)
    rules = _lifecycle_rules(frozen)
    _last_rules[:] = [([s.model_copy(deep=True) for s in stages], rules)]
    return rules


def _as_dict(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(mode="json", exclude_none=True)
        return dumped
    plain: dict[str, Any] = json.loads(json.dumps(dict(value), default=_json_default))
    return plain


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def member_context(
    member: Member,
    settings: Settings,
    now: datetime,
    trigger: BaseModel | Mapping[str, Any] | None = None,
    event: BaseModel | Mapping[str, Any] | None = None,
    steps: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """What conditions and templates see: `profile`, `tags`, `stats` (with derived
    fields), `trigger`, `event` (the incoming event; the trigger when none is given, as
    SPEC §2 says for entry, steps and templates) and `steps` (engagement per send step).

    `_recheck` lists instants at which derived statistics change with time alone (RFM
    recency boundaries) and `_tz` names the brand zone; neither is a readable path.
    """
    tz = settings.zone
    profile = dict(member.profile)
    for kind, value in member.identifiers.items():
        profile.setdefault(kind, value)
    stats: dict[str, Any] = member.stats.model_dump(mode="json")
    last = member.stats.last_order_at
    days_since = None if last is None else calendar_days_between(last, now, tz)
    stats["days_since_last_order"] = days_since
    stats["rfm"] = rfm_scores(
        days_since, member.stats.order_count, member.stats.total_spent, settings.rfm
    )
    recheck: list[str] = []
    if last is not None:
        day = as_utc(last).astimezone(tz).date()
        recheck = [
            wall_clock(day + timedelta(days=int(cut) + 1), 0, 0, tz).isoformat()
            for cut in settings.rfm.recency_days
        ]
    trigger_dict = _as_dict(trigger)
    context: dict[str, Any] = {
        "profile": profile,
        "tags": sorted(set(member.tags)),
        "stats": stats,
        "trigger": trigger_dict,
        "event": _as_dict(event) if event is not None else trigger_dict,
        "steps": {k: dict(v) for k, v in (steps or {}).items()},
        "_recheck": recheck,
        "_tz": settings.timezone,
    }
    stats["lifecycle"] = lifecycle_stage(context, settings, now, tz)
    return context


def lifecycle_stage(
    context: Mapping[str, Any], settings: Settings, now: datetime, tz: ZoneInfo
) -> str | None:
    for stage, rule in lifecycle_rules(settings):
        if rule.holds(context, now, tz):
            return stage
    return None
