"""The step engine's entry points, all pure (the caller supplies the member context and
"now"): `start` a new enrolment, `resume` one whose timer came due, and `on_event` for
an event that happened to the member (an `exit_on` goal converts, an awaited `wait_for`
moves on). Each returns an `Outcome`; the run itself is `kairos.engine.steps.Run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairos.engine.compiled import CompiledJourney
from kairos.engine.enrolment import (
    Enrolment,
    enrolment_id,
    in_holdout,
)
from kairos.engine.steps import ENGAGEMENT_EVENTS, Outcome, Run, Runtime
from kairos.engine.timing import (
    as_utc,
    parse_instant,
)
from kairos.models.journey import (
    WaitForStep,
)

# ---- entry points ---------------------------------------------------------------------------


def start(
    journey: CompiledJourney,
    member_id: str,
    context: Mapping[str, Any],
    trigger: Mapping[str, Any],
    now: datetime,
    runtime: Runtime,
    entry_number: int = 1,
    key: str | None = None,
) -> Outcome:
    """Enrol a member (entry rules already checked, see `kairos.engine.entry`) and run
    the first steps. `key` defaults to the trigger event's id."""
    trigger_dict = dict(trigger)
    key = key or str(trigger_dict.get("id", ""))
    enrolment = Enrolment(
        id=enrolment_id(journey.id, member_id, key),
        journey=journey.id,
        journey_version=journey.version,
        member_id=member_id,
        entry_number=entry_number,
        holdout=in_holdout(journey.id, member_id, journey.journey.holdout),
        entered_at=as_utc(now),
        trigger=trigger_dict,
        version=0,
    )
    run = Run(enrolment, journey, {**context, "trigger": trigger_dict}, now, runtime)
    run.count("entered")
    if enrolment.holdout:
        run.count("held_out")
    run.go(journey.first)
    return run.outcome()


def resume(
    enrolment: Enrolment,
    journey: CompiledJourney,
    context: Mapping[str, Any],
    now: datetime,
    runtime: Runtime,
) -> Outcome:
    """A timer came due. A timer that is early or stale (the enrolment moved on) changes
    nothing, so the scheduler may deliver timers more than once."""
    now = as_utc(now)
    if (
        enrolment.ended
        or enrolment.state != "waiting"
        or enrolment.wait_until is None
        or as_utc(enrolment.wait_until) > now
        or enrolment.step is None
    ):
        return Outcome(enrolment)
    run = Run(enrolment, journey, context, now, runtime)
    step = journey.step(enrolment.step)
    if enrolment.pending == "send":
        run.e.state = "active"
        run.send(step)
        run.go(step.successor)
    elif enrolment.pending == "wait_for":
        run.count("timed_out", step.id)
        spec = step.spec
        assert isinstance(spec, WaitForStep)
        run.go(spec.on_timeout or step.successor)
    else:
        run.go(step.successor)
    return run.outcome()


def order_total(event: Mapping[str, Any]) -> float | None:
    """An order event's `data.total`, the revenue a conversion on it brings (None when
    the shop sent no number)."""
    data = event.get("data")
    total = data.get("total") if isinstance(data, Mapping) else None
    if isinstance(total, bool) or not isinstance(total, int | float | str):
        return None
    try:
        return float(total)
    except ValueError:
        return None


def _belongs(event: Mapping[str, Any], enrolment: Enrolment) -> bool:
    """Engagement events (opens, clicks) count only for this enrolment's own sends: a
    marketer waiting for "opened" means *this* email, not any email."""
    data = event.get("data")
    if event.get("type") not in ENGAGEMENT_EVENTS or not isinstance(data, Mapping):
        return True
    delivery = data.get("delivery_id")
    if delivery is not None:
        return delivery in enrolment.sends.values()
    journey = data.get("journey")
    return journey is None or journey == enrolment.journey


def on_event(
    enrolment: Enrolment,
    journey: CompiledJourney,
    context: Mapping[str, Any],
    event: Mapping[str, Any],
    now: datetime,
    runtime: Runtime,
) -> Outcome:
    """An event happened to this enrolment's member. `context["event"]` must be this
    event (member_context(..., trigger=enrolment.trigger, event=event)). Goals are checked
    first: a goal ends the enrolment even while it waits for something else."""
    now = as_utc(now)
    if enrolment.ended or event.get("id") == enrolment.trigger.get("id"):
        return Outcome(enrolment)
    event_time = parse_instant(event.get("time"), runtime.tz)
    if event_time is not None and event_time < as_utc(enrolment.entered_at):
        return Outcome(enrolment)  # happened before the member entered (a late arrival)
    ctx = {**context, "event": dict(event), "trigger": enrolment.trigger}
    if _belongs(event, enrolment):
        for goal in journey.goals:
            if goal.event == event.get("type") and goal.where.holds(ctx, now, runtime.tz):
                run = Run(enrolment, journey, ctx, now, runtime)
                run.e.revenue = order_total(event) if goal.event == "order.created" else None
                run.end("exited", f"goal {goal.event}", converted=True)
                return run.outcome()
        waiting = enrolment.waiting_for
        if (
            enrolment.pending == "wait_for"
            and waiting is not None
            and waiting.event == event.get("type")
            and enrolment.step is not None
        ):
            step = journey.step(enrolment.step)
            if step.wait_for.holds(ctx, now, runtime.tz):
                spec = step.spec
                assert isinstance(spec, WaitForStep)
                run = Run(enrolment, journey, context, now, runtime)
                run.count("matched", step.id)
                run.go(spec.on_event or step.successor)
                return run.outcome()
    return Outcome(enrolment)
