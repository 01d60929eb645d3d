"""Builders for engine tests: journeys from YAML text, members, contexts and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kairos.engine.compiled import CompiledJourney, compile_journey
from kairos.engine.derived import member_context
from kairos.engine.steps import Runtime
from kairos.models.journey import Journey
from kairos.models.member import Member, Stats
from kairos.models.settings import QuietHours, Settings
from kairos.project import parse_yaml

TAIPEI_SETTINGS = Settings(timezone="Asia/Taipei")


def t(text: str) -> datetime:
    """An ISO time; Taipei when no offset is given."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else datetime.fromisoformat(text + "+08:00")


def journey(text: str, version: str = "v1") -> CompiledJourney:
    compiled, problems = compile_journey(Journey.model_validate(parse_yaml(text)), version)
    assert not problems, problems
    return compiled


def runtime(quiet: tuple[str, str] | None = None, **settings: Any) -> Runtime:
    if quiet is not None:
        settings["quiet_hours"] = QuietHours(start=quiet[0], end=quiet[1])
    return Runtime(Settings(**settings), {"coupon-30": "tv1", "hello": "tv2"})


def member(member_id: str = "m-1", **profile: Any) -> Member:
    return Member(
        member_id=member_id,
        profile=profile,
        tags=profile.pop("tags", []),
        stats=profile.pop("stats", Stats()),
    )


def event(event_id: str, kind: str, when: str, **data: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "time": t(when).isoformat(),
        "member": {"external_id": "c-1"},
        "data": data,
    }


def ctx(
    m: Member,
    now: datetime,
    rt: Runtime | None = None,
    trigger: Any = None,
    ev: Any = None,
    steps: Any = None,
) -> dict[str, Any]:
    settings = rt.settings if rt else TAIPEI_SETTINGS
    return member_context(m, settings, now, trigger=trigger, event=ev, steps=steps)
