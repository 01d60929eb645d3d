"""The evaluator: the journey engine's side effects, driven by the table's stream (an
event was applied to a member) and by the every-minute schedule (time passed).

`kairos.engine` decides (pure); this module loads what it needs, asks, and writes the
answer through `kairos.store` — each outcome in one conditional transaction, its sends
and member changes only after that transaction succeeded, so a redelivered record or a
timer seen twice changes nothing.

Per stream record: O(the member's enrolments + journeys triggered by this event type +
segments). Per tick: O(due timers). Never O(members).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter

from kairos.clock import iso, utc
from kairos.engine import steps
from kairos.engine.compiled import CompiledJourney, compile_journey
from kairos.engine.derived import member_context
from kairos.engine.effects import (
    Counter,
    Effect,
    EnterJourney,
    Exit,
    HeldOut,
    MemberChange,
    Send,
    Timer,
)
from kairos.engine.enrolment import Enrolment
from kairos.engine.entry import entry_allowed, should_enrol
from kairos.engine.paths import value_at
from kairos.engine.triggers import (
    date_trigger_event,
    in_segment,
    next_date_fire_for,
    next_schedule_fire,
    schedule_trigger_event,
    segment_recheck_at,
    segment_trigger_event,
)
from kairos.models.events import CanonicalEvent
from kairos.models.journey import Journey
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.observability import logger
from kairos.project import Project, content_version
from kairos.store.enrolments import Commit, EngineStore
from kairos.store.timers import DueTimer, hour_bucket
from kairos.store.timers import Timer as DueItem

_EFFECTS: TypeAdapter[Effect] = TypeAdapter(Effect)

ENGAGEMENT = {
    "email.opened": "opened",
    "email.clicked": "clicked",
    "message.clicked": "clicked",
    "email.bounced": "bounced",
}


class Queues(Protocol):
    def send(self, request: SendRequest, queue: str, now: datetime) -> None: ...


class Members(Protocol):
    def get(self, member_id: str) -> Member | None: ...


class ChangeSink(Protocol):
    """Applies a journey-made member change as an event (tags, sets)."""

    def __call__(self, event: CanonicalEvent, now: datetime) -> None: ...


@dataclass
class TickReport:
    timers: int = 0
    failed: int = 0
    buckets: list[str] = field(default_factory=list)


@dataclass
class Evaluator:
    project: Project
    store: EngineStore
    members: Members
    queues: Queues
    apply_change: ChangeSink
    _compiled: dict[tuple[str, str], CompiledJourney] = field(default_factory=dict)
    _scheduled: set[tuple[str, datetime]] = field(default_factory=set)
    """Schedule firings already in the due index (written once per process)."""
    _engagement_journeys: dict[tuple[str, str], bool] = field(default_factory=dict)

    @property
    def runtime(self) -> steps.Runtime:
        return steps.Runtime(self.project.settings, self.project.template_versions)

    # ---- publication ----------------------------------------------------------------

    def publish(self) -> None:
        """Store this deployment's journeys, templates and settings as immutable versions,
        so enrolments started on an older version finish on it."""
        for journey in self.project.journeys.values():
            definition = journey.journey.model_dump(mode="json", by_alias=True, exclude_none=True)
            self.store.publish("journey", journey.id, journey.version, definition)
        for template_id, template in self.project.templates.items():
            version = self.project.template_versions[template_id]
            self.store.publish(
                "template",
                template_id,
                version,
                template.model_dump(mode="json", exclude_none=True),
            )
        settings = self.project.settings.model_dump(mode="json", by_alias=True)
        self.store.publish("settings", "brand", content_version(settings), settings)

    def journey_for(self, enrolment: Enrolment) -> CompiledJourney | None:
        current = self.project.journeys.get(enrolment.journey)
        if current is not None and current.version == enrolment.journey_version:
            return current
        key = (enrolment.journey, enrolment.journey_version)
        if key not in self._compiled:
            definition = self.store.published("journey", *key)
            if definition is None:
                return None
            compiled, problems = compile_journey(
                Journey.model_validate(definition), enrolment.journey_version
            )
            if problems:
                logger.error(
                    "published journey no longer compiles",
                    extra={"journey": key[0], "version": key[1]},
                )
                return None
            self._compiled[key] = compiled
        return self._compiled[key]

    # ---- contexts -------------------------------------------------------------------

    def context(
        self,
        member: Member,
        now: datetime,
        enrolment: Enrolment | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        trigger = enrolment.trigger if enrolment is not None else event
        engagement = self._engagement(enrolment) if enrolment is not None else {}
        return member_context(
            member, self.project.settings, now, trigger=trigger, event=event, steps=engagement
        )

    def _reads_engagement(self, enrolment: Enrolment) -> bool:
        """Does this journey version look at `steps.<id>.*`? Only then read deliveries."""
        key = (enrolment.journey, enrolment.journey_version)
        if key not in self._engagement_journeys:
            journey = self.journey_for(enrolment)
            text = journey.journey.model_dump_json() if journey is not None else ""
            self._engagement_journeys[key] = '"steps.' in text
        return self._engagement_journeys[key]

    def _engagement(self, enrolment: Enrolment) -> dict[str, dict[str, Any]]:
        if not enrolment.sends or not self._reads_engagement(enrolment):
            return {}
        records = self.store.deliveries(enrolment.sends.values())
        found: dict[str, dict[str, Any]] = {}
        for step_id, delivery_id in enrolment.sends.items():
            record = records.get(delivery_id) or {}
            sent = record.get("status") == "sent"
            found[step_id] = {
                "sent": sent,
                # LINE and SMS accept or refuse at once; email counts until it bounces.
                "delivered": sent and "bounced_at" not in record,
                "opened": "opened_at" in record,
                "clicked": "clicked_at" in record,
            }
        return found

    # ---- the stream: an event was applied to a member ---------------------------------

    def on_member_change(
        self, after: Member, before: Member | None, event: dict[str, Any], now: datetime
    ) -> None:
        enrolments = self.store.enrolments(after.member_id)
        self._record_engagement(event, enrolments)
        for enrolment in enrolments:
            if enrolment.ended:
                continue
            journey = self.journey_for(enrolment)
            if journey is None:
                continue
            ctx = self.context(after, now, enrolment, event)
            self._apply(
                steps.on_event(enrolment, journey, ctx, event, now, self.runtime), after, now
            )
        entry_ctx = self.context(after, now, event=event)
        for journey in self.project.journeys_on_event(str(event.get("type"))):
            history = [e for e in enrolments if e.journey == journey.id]
            decision = should_enrol(journey, entry_ctx, event, history, now)
            if decision:
                self._start(journey, after, event, history, now)
        change = Commit()
        entered = self._segments(after, before, event, now, change)
        self._date_timers(after, before, now, change)
        if not change.empty():
            self.store.commit(change)
        for segment_id in entered:
            self._enter_segment(segment_id, after, event, enrolments, now)

    def _record_engagement(self, event: Mapping[str, Any], enrolments: list[Enrolment]) -> None:
        kind = ENGAGEMENT.get(str(event.get("type")))
        data = event.get("data") or {}
        if kind is None or not isinstance(data, Mapping):
            return
        delivery_id = data.get("delivery_id")
        if delivery_id is None and data.get("journey") and data.get("step"):
            # No delivery id: the latest send of that journey step to this member.
            candidates = [
                e for e in enrolments if e.journey == data["journey"] and data["step"] in e.sends
            ]
            if candidates:
                latest = max(candidates, key=lambda e: e.entered_at)
                delivery_id = latest.sends[data["step"]]
        if delivery_id:
            self.store.mark_engagement(str(delivery_id), kind, str(event.get("time")))

    def _start(
        self,
        journey: CompiledJourney,
        member: Member,
        trigger: Mapping[str, Any],
        history: list[Enrolment],
        now: datetime,
        key: str | None = None,
        extra: Commit | None = None,
    ) -> bool:
        ctx = self.context(member, now, event=trigger)
        outcome = steps.start(
            journey, member.member_id, ctx, trigger, now, self.runtime,
            entry_number=len(history) + 1, key=key,
        )  # fmt: skip
        return self._apply(outcome, member, now, new=True, extra=extra)

    def _segments(
        self,
        after: Member,
        before: Member | None,
        event: dict[str, Any],
        now: datetime,
        change: Commit,
    ) -> list[str]:
        """Membership changes and recheck timers go into `change`; returns the segments
        the member just entered."""
        if not self.project.segments:
            return []
        after_ctx = self.context(after, now, event=event)
        before_ctx = self.context(before, now, event=event) if before is not None else None
        tz = self.project.settings.zone
        entered: list[str] = []
        for segment in self.project.segments.values():
            was_in = before_ctx is not None and in_segment(segment, before_ctx, now)
            now_in = in_segment(segment, after_ctx, now)
            if was_in != now_in:
                change.segments[(segment.id, after.member_id)] = now_in
                if now_in:
                    entered.append(segment.id)
            recheck = segment_recheck_at(segment, after_ctx, now, tz)
            previous = (
                segment_recheck_at(segment, before_ctx, now, tz) if before_ctx is not None else None
            )
            if recheck is not None and recheck != previous:
                change.timers.append(_segment_timer(segment.id, after.member_id, recheck))
        return entered

    def _enter_segment(
        self,
        segment_id: str,
        member: Member,
        cause: Mapping[str, Any] | None,
        enrolments: list[Enrolment],
        now: datetime,
    ) -> None:
        segment = self.project.segments[segment_id]
        for journey in self.project.journeys_on_segment(segment_id):
            trigger = segment_trigger_event(segment, member.member_id, now, cause)
            history = [e for e in enrolments if e.journey == journey.id]
            ctx = self.context(member, now, event=trigger)
            if entry_allowed(journey, ctx, history, now):
                self._start(
                    journey,
                    member,
                    trigger,
                    history,
                    now,
                    key=f"segment:{segment_id}:{trigger['id']}",
                )

    def _date_timers(
        self, after: Member, before: Member | None, now: datetime, change: Commit
    ) -> None:
        tz = self.project.settings.zone
        after_ctx = self.context(after, now)
        before_ctx = self.context(before, now) if before is not None else None
        for journey in self.project.journeys.values():
            date = journey.journey.trigger.date
            if date is None:
                continue
            value = value_at(date.field, after_ctx)
            previous = value_at(date.field, before_ctx) if before_ctx is not None else None
            if value is None or (before_ctx is not None and value == previous):
                continue
            fire = next_date_fire_for(journey, after_ctx, now, tz)
            if fire is not None:
                change.timers.append(_date_timer(journey.id, after.member_id, fire))

    # ---- the schedule: time passed ----------------------------------------------------

    def ensure_schedules(self, now: datetime) -> None:
        """Each schedule journey has its next firing in the due index (idempotent)."""
        tz = self.project.settings.zone
        change = Commit()
        for journey in self.project.journeys.values():
            fire = next_schedule_fire(journey, now - timedelta(seconds=1), tz)
            if fire is not None and (journey.id, fire) not in self._scheduled:
                change.timers.append(_schedule_timer(journey.id, fire))
        if not change.empty() and self.store.commit(change):
            self._scheduled.update((t.payload["journey"], t.due_at) for t in change.timers)

    def on_tick(self, now: datetime) -> TickReport:
        report = TickReport()
        self.ensure_schedules(now)
        start = self.store.due.cursor()
        first_failed: str | None = None
        for bucket in self.store.due.buckets_to_visit(start, now):
            report.buckets.append(bucket)
            for due in self.store.due.due(bucket, now):
                report.timers += 1
                try:
                    self._on_timer(due, now)
                except Exception:
                    report.failed += 1
                    first_failed = first_failed or bucket
                    logger.exception("timer failed", extra={"timer_id": due.timer.timer_id})
        self.store.due.set_cursor(min(first_failed or hour_bucket(now), hour_bucket(now)))
        return report

    def _on_timer(self, due: DueTimer, now: datetime) -> None:
        timer = due.timer
        payload = timer.payload
        if timer.kind == "step" and timer.member_id:
            # The member and the enrolment in one BatchGetItem.
            member, enrolment = self.store.member_and_enrolment(
                timer.member_id, payload["journey"], payload["enrolment_id"]
            )
            journey = self.journey_for(enrolment) if enrolment is not None else None
            if member is None or enrolment is None or journey is None:
                self.store.commit(Commit(consumed=due))
                return
            ctx = self.context(member, now, enrolment)
            outcome = steps.resume(enrolment, journey, ctx, now, self.runtime)
            self._apply(outcome, member, now, consumed=due)
            return
        member = self.members.get(timer.member_id) if timer.member_id else None
        if timer.kind == "date":
            self._on_date(due, member, now)
        elif timer.kind == "schedule":
            self._on_schedule(due, now)
        elif timer.kind == "segment":
            self._on_segment_recheck(due, member, now)
        elif timer.kind == "effects":
            self._on_effects_retry(due, member, now)
        else:
            logger.warning("unknown timer kind", extra={"kind": timer.kind})
            self.store.commit(Commit(consumed=due))

    def _on_date(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        journey = self.project.journeys.get(due.timer.payload["journey"])
        if journey is None or member is None or journey.journey.trigger.date is None:
            self.store.commit(Commit(consumed=due))
            return
        tz = self.project.settings.zone
        ctx = self.context(member, now)
        fire_at = due.timer.due_at
        # A timer for a date the member has since changed is stale: drop it.
        current = next_date_fire_for(journey, ctx, fire_at - timedelta(seconds=1), tz)
        if current is None or utc(current) != utc(fire_at):
            self.store.commit(Commit(consumed=due))
            return
        following = next_date_fire_for(journey, ctx, fire_at, tz)
        timers = [] if following is None else [_date_timer(journey.id, member.member_id, following)]
        value = value_at(journey.journey.trigger.date.field, ctx)
        trigger = date_trigger_event(journey, member.member_id, fire_at, value)
        history = [e for e in self.store.enrolments(member.member_id) if e.journey == journey.id]
        allowed = entry_allowed(journey, self.context(member, now, event=trigger), history, now)
        started = allowed and self._start(
            journey, member, trigger, history, now, extra=Commit(consumed=due, timers=list(timers))
        )
        if not started:
            self.store.commit(Commit(consumed=due, timers=timers))

    def _on_schedule(self, due: DueTimer, now: datetime) -> None:
        journey = self.project.journeys.get(due.timer.payload["journey"])
        schedule = journey.journey.trigger.schedule if journey is not None else None
        if journey is None or schedule is None:
            self.store.commit(Commit(consumed=due))
            return
        fire_at = due.timer.due_at
        trigger = schedule_trigger_event(journey, fire_at)
        for member_id in list(self.store.segment_members(schedule.segment)):
            member = self.members.get(member_id)
            if member is None:
                continue
            history = [e for e in self.store.enrolments(member_id) if e.journey == journey.id]
            if entry_allowed(journey, self.context(member, now, event=trigger), history, now):
                self._start(journey, member, trigger, history, now)
        follow_up = Commit(consumed=due)
        following = next_schedule_fire(journey, fire_at, self.project.settings.zone)
        if following is not None:
            follow_up.timers.append(_schedule_timer(journey.id, following))
        self.store.commit(follow_up)

    def _on_segment_recheck(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        segment = self.project.segments.get(due.timer.payload["segment"])
        if segment is None or member is None:
            self.store.commit(Commit(consumed=due))
            return
        ctx = self.context(member, now)
        inside = in_segment(segment, ctx, now)
        was_in = self.store.in_segment(segment.id, member.member_id)
        change = Commit(consumed=due)
        if inside != was_in:
            change.segments[(segment.id, member.member_id)] = inside
        recheck = segment_recheck_at(segment, ctx, now, self.project.settings.zone)
        if recheck is not None and recheck > now:
            change.timers.append(_segment_timer(segment.id, member.member_id, recheck))
        if not self.store.commit(change):
            return
        if inside and not was_in:
            self._enter_segment(
                segment.id, member, None, self.store.enrolments(member.member_id), now
            )

    # ---- applying an outcome ----------------------------------------------------------

    def _apply(
        self,
        outcome: steps.Outcome,
        member: Member,
        now: datetime,
        *,
        new: bool = False,
        consumed: DueTimer | None = None,
        extra: Commit | None = None,
    ) -> bool:
        change = extra or Commit()
        change.consumed = consumed or change.consumed
        enrolment = outcome.enrolment
        if outcome.changed:
            change.enrolment = enrolment
            change.expected_version = None if new else outcome.expected_version
        after: list[Send | MemberChange | EnterJourney] = []
        for effect in outcome.effects:
            if isinstance(effect, Timer):
                change.timers.append(
                    DueItem(
                        timer_id=f"step:{effect.enrolment_id}:{iso(effect.at)}:{effect.reason}",
                        due_at=effect.at,
                        kind="step",
                        member_id=effect.member_id,
                        payload={"journey": enrolment.journey, "enrolment_id": effect.enrolment_id},
                    )
                )
            elif isinstance(effect, Counter):
                change.counters[(effect.journey, effect.step or "-", effect.name)] += 1
            elif isinstance(effect, Exit):
                kind = "journey.converted" if effect.converted else "journey.exited"
                if effect.converted and enrolment.holdout:
                    # The control group's conversions, for `kairos stats` holdout lift.
                    change.counters[(effect.journey, "-", "converted_holdout")] += 1
                data = {"journey": effect.journey, "enrolment_id": effect.enrolment_id,
                        "reason": effect.reason}  # fmt: skip
                change.timeline.append(
                    (effect.member_id, effect.at, f"{effect.enrolment_id}.end", kind, data)
                )
            elif isinstance(effect, HeldOut):
                change.timeline.append(
                    (effect.member_id, effect.at, effect.delivery_id, "journey.held_out",
                     {"journey": effect.journey, "step": effect.step, "template": effect.template,
                      "delivery_id": effect.delivery_id})
                )  # fmt: skip
            else:
                after.append(effect)
        guard = _effects_guard(after, member.member_id, f"{enrolment.id}:{enrolment.version}", now)
        if guard is not None:
            # The effects ride in the same transaction as a timer two minutes out: if
            # this function dies before they are all done, that timer replays them.
            change.timers.append(guard)
        if change.empty():
            return True
        if not self.store.commit(change):
            # Someone else moved this enrolment (or took this timer) first: their outcome
            # stands, ours is dropped with its effects.
            logger.info("outcome superseded", extra={"enrolment_id": enrolment.id})
            return False
        if guard is not None and self._run_effects(after, member, now):
            self.store.due.delete(self._due_entry(guard))
        return True

    def _due_entry(self, timer: DueItem) -> DueTimer:
        item = self.store.due.item(timer)
        return DueTimer(timer=timer, pk=item["pk"]["S"], sk=item["sk"]["S"])

    def _run_effects(
        self, effects: list[Send | MemberChange | EnterJourney], member: Member, now: datetime
    ) -> bool:
        """Sends, member changes and `enter`s after their transaction committed. Each is
        idempotent (delivery id, event id, enrolment key), so the guard timer may replay
        them all; False if one failed (a throttled queue, a busy member)."""
        for effect in effects:
            try:
                if isinstance(effect, Send):
                    self.queues.send(effect.request, self._queue_for(effect.request), now)
                elif isinstance(effect, MemberChange):
                    identifiers = dict(member.identifiers)
                    self.apply_change(
                        CanonicalEvent.model_validate(effect.canonical(identifiers)), now
                    )
                else:
                    self._enter(effect, member, now)
            except Exception:
                logger.exception(
                    "effect failed; its guard timer will retry",
                    extra={"member_id": member.member_id},
                )
                return False
        return True

    def _on_effects_retry(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        """A step's effects were not confirmed done: run them again (idempotently)."""
        if member is None:
            self.store.commit(Commit(consumed=due))
            return
        effects = [_EFFECTS.validate_python(e) for e in due.timer.payload["effects"]]
        runnable = [e for e in effects if isinstance(e, Send | MemberChange | EnterJourney)]
        if self._run_effects(runnable, member, now):
            self.store.commit(Commit(consumed=due))
            return
        again = _effects_guard(runnable, member.member_id, f"{due.timer.payload['key']}:retry", now)
        self.store.commit(Commit(consumed=due, timers=[again] if again else []))

    def _queue_for(self, request: SendRequest) -> str:
        if request.channel != "auto":
            return request.channel
        return self.project.settings.channel_priority[0]

    def _enter(self, effect: EnterJourney, member: Member, now: datetime) -> None:
        journey = self.project.journeys.get(effect.journey)
        if journey is None:
            return
        trigger = {
            **effect.trigger,
            "data": {**dict(effect.trigger.get("data") or {}), "kairos_origin": effect.origin},
        }
        history = [e for e in self.store.enrolments(member.member_id) if e.journey == journey.id]
        if entry_allowed(journey, self.context(member, now, event=trigger), history, now):
            self._start(journey, member, trigger, history, now, key=effect.key)


def _effects_guard(
    effects: list[Send | MemberChange | EnterJourney], member_id: str, key: str, now: datetime
) -> DueItem | None:
    if not effects:
        return None
    return DueItem(
        timer_id=f"effects:{key}",
        due_at=now + timedelta(minutes=2),
        kind="effects",
        member_id=member_id,
        payload={"effects": [e.model_dump(mode="json") for e in effects], "key": key},
    )


def _date_timer(journey_id: str, member_id: str, at: datetime) -> DueItem:
    return DueItem(
        f"date:{journey_id}:{member_id}:{iso(at)}", at, "date", member_id, {"journey": journey_id}
    )


def _schedule_timer(journey_id: str, at: datetime) -> DueItem:
    return DueItem(
        f"schedule:{journey_id}:{iso(at)}", at, "schedule", None, {"journey": journey_id}
    )


def _segment_timer(segment_id: str, member_id: str, at: datetime) -> DueItem:
    return DueItem(
        f"segment:{segment_id}:{member_id}:{iso(at)}",
        at,
        "segment",
        member_id,
        {"segment": segment_id},
    )
