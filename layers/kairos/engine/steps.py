"""The step engine: moves one enrolment through its journey until it must wait.

Four entry points, all pure (the caller supplies the member context and "now"):

- `start`: a new enrolment at the first step, run until it waits or ends;
- `resume`: a timer came due (a wait passed, a `wait_for` timed out, quiet hours ended);
- `on_event`: an event happened to the member — an `exit_on` goal ends the enrolment as
  a conversion, an awaited `wait_for` event moves it on;
- each returns an `Outcome`: the new enrolment (`version + 1` when it changed) and the
  effects to apply, in order, once the conditional write succeeded.

Steps run in a loop, so one call may pass many steps (tag, branch, send, …) and stops at
the first wait. Loops are legal only through waits (checked at load); `MAX_STEPS_PER_RUN`
still guards a run against a journey that goes round without time passing (a wait
`until_field` already in the past).

Tags, untags and sets take effect on the context at once, so a later branch in the same
run sees them; the store applies them as events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kairos.engine.compiled import CompiledJourney, CompiledStep
from kairos.engine.effects import (
    ChangeType,
    Counter,
    Effect,
    EnterJourney,
    Exit,
    HeldOut,
    MemberChange,
    Send,
    Timer,
    TimerReason,
)
from kairos.engine.enrolment import (
    Enrolment,
    Pending,
    WaitingFor,
    split_bucket,
)
from kairos.engine.entry import origin_of
from kairos.engine.paths import value_at
from kairos.engine.timing import (
    as_utc,
    defer_for_quiet_hours,
    next_wall_clock,
    parse_instant,
    shift,
    wall_clock,
)
from kairos.models.journey import (
    END,
    BranchStep,
    EnterStep,
    ExitStep,
    GotoStep,
    Offset,
    RichMenuStep,
    SendStep,
    SetStep,
    SplitStep,
    TagStep,
    UntagStep,
    WaitForStep,
    WaitStep,
)
from kairos.models.send_request import SendRequest, delivery_id_for
from kairos.models.settings import Settings

MAX_STEPS_PER_RUN = 200
ENGAGEMENT_EVENTS = frozenset({"email.opened", "email.clicked", "message.clicked", "email.bounced"})


@dataclass(frozen=True)
class Runtime:
    """What steps need besides the journey: brand settings and template versions."""

    settings: Settings
    template_versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.zone


@dataclass
class Outcome:
    enrolment: Enrolment
    effects: list[Effect] = field(default_factory=list)
    changed: bool = False
    """False: nothing to write (a stale timer, an event this enrolment ignores)."""

    @property
    def expected_version(self) -> int:
        """The stored version the conditional write must find."""
        return self.enrolment.version - 1 if self.changed else self.enrolment.version

    def sends(self) -> list[SendRequest]:
        return [e.request for e in self.effects if isinstance(e, Send)]


class Run:
    """One pass through the steps, collecting effects."""

    def __init__(
        self,
        enrolment: Enrolment,
        journey: CompiledJourney,
        context: Mapping[str, Any],
        now: datetime,
        runtime: Runtime,
    ) -> None:
        self.e = enrolment.model_copy(deep=True)
        self.journey = journey
        self.now = as_utc(now)
        self.runtime = runtime
        # Steps (not wait_for/exit_on conditions) see the trigger as `event` (SPEC §2).
        self.ctx: dict[str, Any] = {
            **context,
            "event": context.get("trigger") or enrolment.trigger,
            "trigger": context.get("trigger") or enrolment.trigger,
            "profile": dict(context.get("profile") or {}),
            "tags": list(context.get("tags") or []),
        }
        self.effects: list[Effect] = []

    # ---- bookkeeping ------------------------------------------------------------------

    def count(self, name: str, step: str | None = None) -> None:
        self.effects.append(Counter(journey=self.journey.id, step=step, name=name))

    def outcome(self) -> Outcome:
        self.e.version += 1
        self.e.updated_at = self.now
        return Outcome(self.e, self.effects, changed=True)

    def end(self, state: str, reason: str, converted: bool = False) -> None:
        e = self.e
        e.state = "completed" if state == "completed" else "exited"
        e.exit_reason = reason
        e.converted = e.converted or converted
        e.ended_at = self.now
        e.step = None
        e.pending = None
        e.wait_until = None
        e.waiting_for = None
        self.effects.append(
            Exit(
                enrolment_id=e.id,
                member_id=e.member_id,
                journey=e.journey,
                reason=reason,
                converted=converted,
                at=self.now,
            )
        )
        if converted:
            self.count("converted")
            for split_step, arm in sorted(e.arms.items()):
                self.count(f"converted-arm-{arm}", split_step)
        self.count(e.state)

    def wait(self, until: datetime, pending: Pending, reason: TimerReason) -> None:
        e = self.e
        e.state = "waiting"
        e.pending = pending
        e.wait_until = until
        self.effects.append(
            Timer(enrolment_id=e.id, member_id=e.member_id, at=until, reason=reason)
        )

    # ---- the loop -----------------------------------------------------------------------

    def go(self, target: str) -> None:
        """Enter `target` and run until a wait or the end."""
        e = self.e
        e.state = "active"
        e.pending = None
        e.wait_until = None
        e.waiting_for = None
        for _ in range(MAX_STEPS_PER_RUN):
            if target == END:
                self.end("completed", "completed")
                return
            step = self.journey.step(target)
            e.step = step.id
            e.visits[step.id] = e.visit(step.id) + 1
            self.count("entered", step.id)
            nxt = self.execute(step)
            if nxt is None:
                return  # waiting or ended
            target = nxt
        self.end("exited", f"more than {MAX_STEPS_PER_RUN} steps without waiting")

    def execute(self, step: CompiledStep) -> str | None:
        """Run one step; the next step id, or None when the run stops here."""
        spec = step.spec
        tz = self.runtime.tz
        if isinstance(spec, WaitStep):
            wait = spec.wait
            if wait.kind == "duration":
                until = shift(self.now, wait, tz)
            elif wait.kind == "until":
                weekday, hour, minute = wait.until_parts()
                until = next_wall_clock(self.now, hour, minute, tz, weekday)
            else:
                found = self.until_field(step)
                if found is None:
                    assert wait.until_field is not None
                    self.end("exited", f"no value at {wait.until_field}")
                    return None
                until = found
                if until <= self.now:
                    return step.successor  # already past: no wait
            self.wait(until, "wait", "wait")
            return None
        if isinstance(spec, WaitForStep):
            timeout_at = shift(self.now, spec.wait_for.timeout, tz)
            self.e.waiting_for = None
            self.wait(timeout_at, "wait_for", "wait_for")
            self.e.waiting_for = WaitingFor(
                event=spec.wait_for.event,
                step=step.id,
                timeout_at=timeout_at,
                where=spec.wait_for.where,
            )
            return None
        if isinstance(spec, SendStep):
            if not self.journey.journey.transactional:
                at = defer_for_quiet_hours(self.now, self.runtime.settings.quiet_hours, tz)
                if at > self.now:
                    self.count("deferred", step.id)
                    self.wait(at, "send", "quiet_hours")
                    return None
            self.send(step)
            return step.successor
        if isinstance(spec, BranchStep):
            for index, case in enumerate(step.cases):
                if case.holds(self.ctx, self.now, tz):
                    self.count(f"case-{index}", step.id)
                    return spec.branch.cases[index].goto
            self.count("else", step.id)
            return spec.branch.else_ if spec.branch.else_ is not None else step.successor
        if isinstance(spec, SplitStep):
            bucket = split_bucket(self.journey.id, step.id, self.e.member_id)
            upto = 0.0
            for index, arm in enumerate(spec.split):
                upto += arm.weight
                if bucket < upto or index == len(spec.split) - 1:
                    self.e.arms[step.id] = index
                    self.count(f"arm-{index}", step.id)
                    return arm.goto
        if isinstance(spec, TagStep | UntagStep):
            adding = isinstance(spec, TagStep)
            names = spec.tag if isinstance(spec, TagStep) else spec.untag
            for tag in names:
                self.change(
                    "tag.added" if adding else "tag.removed", {"tag": tag}, step, suffix=tag
                )
                if adding and tag not in self.ctx["tags"]:
                    self.ctx["tags"].append(tag)
                if not adding and tag in self.ctx["tags"]:
                    self.ctx["tags"].remove(tag)
            return step.successor
        if isinstance(spec, SetStep):
            self.change("profile.updated", dict(spec.set), step)
            self.ctx["profile"].update(spec.set)
            return step.successor
        if isinstance(spec, EnterStep):
            visit = self.e.visit(step.id)
            self.effects.append(
                EnterJourney(
                    journey=spec.enter,
                    member_id=self.e.member_id,
                    key=f"enter:{self.e.id}:{step.id}:{visit}",
                    trigger=self.e.trigger,
                    origin=self.origin(step),
                )
            )
            return step.successor
        if isinstance(spec, RichMenuStep):
            # An event like the tag steps' (on the timeline; the evaluator links the menu).
            self.change("richmenu.set", {"menu": spec.richmenu}, step)
            return step.successor
        if isinstance(spec, GotoStep):
            return spec.goto
        if isinstance(spec, ExitStep):
            self.end("exited", "exit step")
            return None
        raise AssertionError(f"unknown step {type(spec).__name__}")

    # ---- step helpers ---------------------------------------------------------------------

    def until_field(self, step: CompiledStep) -> datetime | None:
        spec = step.spec
        assert isinstance(spec, WaitStep) and spec.wait.until_field is not None
        tz = self.runtime.tz
        base = parse_instant(value_at(spec.wait.until_field, self.ctx), tz)
        if base is None:
            return None
        moved = shift(base, spec.wait.offset or Offset(), tz)
        if spec.wait.at is not None:
            hour, minute = (int(x) for x in spec.wait.at.split(":"))
            moved = wall_clock(moved.astimezone(tz).date(), hour, minute, tz)
        return moved

    def origin(self, step: CompiledStep) -> dict[str, Any]:
        depth = int(origin_of(self.e.trigger).get("depth", 0)) + 1
        return {"journey": self.journey.id, "step": step.id, "enrolment": self.e.id, "depth": depth}

    def change(
        self, kind: ChangeType, data: dict[str, Any], step: CompiledStep, suffix: str = ""
    ) -> None:
        visit = self.e.visit(step.id)
        event_id = f"kairos:{self.e.id}:{step.id}:{visit}" + (f":{suffix}" if suffix else "")
        self.effects.append(
            MemberChange(
                member_id=self.e.member_id,
                event_id=event_id,
                type=kind,
                data=data,
                time=self.now,
                origin=self.origin(step),
            )
        )

    def send(self, step: CompiledStep) -> None:
        spec = step.spec
        assert isinstance(spec, SendStep)
        e = self.e
        delivery_id = delivery_id_for(e.id, step.id, e.visit(step.id))
        if e.holdout:
            self.count("held_out", step.id)
            self.effects.append(
                HeldOut(
                    enrolment_id=e.id,
                    member_id=e.member_id,
                    journey=e.journey,
                    step=step.id,
                    template=spec.send.template,
                    delivery_id=delivery_id,
                    at=self.now,
                )
            )
            return
        e.sends[step.id] = delivery_id
        self.count("requested", step.id)
        request = SendRequest(
            delivery_id=delivery_id,
            member_id=e.member_id,
            journey=e.journey,
            journey_version=e.journey_version,
            step=step.id,
            enrolment_id=e.id,
            template=spec.send.template,
            template_version=self.runtime.template_versions.get(spec.send.template, ""),
            channel=spec.send.channel,
            fallback=list(spec.send.fallback),
            transactional=self.journey.journey.transactional,
            trigger=e.trigger,
            requested_at=self.now,
        )
        self.effects.append(Send(request=request))
