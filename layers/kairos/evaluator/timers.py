"""Time passed (the every-minute schedule): due timers, each to the handler of its kind.

A tick writes each schedule journey's next firing (once per process), walks the due
index from the stored cursor to now, and hands each due timer to `{kind: handler}`:
`step` resumes an enrolment, `date` fires a member's date journey (and sets next
year's), `schedule` enrols a segment, `segment` rechecks a member's membership,
`effects` replays a committed step's sends. Every handler consumes its timer in a
commit; a handler that raises leaves it, and the cursor, for the next tick.

Cost: O(due timers), never O(members).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kairos.clock import hour_bucket, utc
from kairos.engine import advance
from kairos.engine.entry import entry_allowed
from kairos.engine.paths import value_at
from kairos.engine.triggers import (
    date_trigger_event,
    next_date_fire_for,
    next_schedule_fire,
    schedule_trigger_event,
)
from kairos.evaluator import timer_kinds as kinds
from kairos.evaluator.commit import OutcomeWriter
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.ports import (
    Commits,
    DueIndex,
    Enrolments,
    Members,
    SegmentMembership,
)
from kairos.evaluator.publish import Versions
from kairos.evaluator.segments import Segments
from kairos.models.member import Member
from kairos.observability import logger
from kairos.project import Project
from kairos.store.records import Commit, DueTimer

TimerHandler = Callable[[DueTimer, datetime], None]
MemberTimerHandler = Callable[[DueTimer, Member | None, datetime], None]


@dataclass
class TickReport:
    timers: int = 0
    failed: int = 0
    buckets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Firing:
    """A schedule journey's firing already in the due index."""

    journey: str
    at: datetime


class TimerHandlers:
    def __init__(
        self,
        project: Project,
        store: Commits,
        due: DueIndex,
        enrolments: Enrolments,
        membership: SegmentMembership,
        members: Members,
        versions: Versions,
        contexts: ContextBuilder,
        writer: OutcomeWriter,
        segments: Segments,
    ) -> None:
        self.project = project
        self.store = store
        self.due = due
        self.enrolments = enrolments
        self.membership = membership
        self.members = members
        self.versions = versions
        self.contexts = contexts
        self.writer = writer
        self._scheduled: set[Firing] = set()
        """Schedule firings already in the due index (written once per process)."""
        self.handlers: dict[str, TimerHandler] = {
            kinds.STEP: self._on_step,
            kinds.DATE: self._with_member(self._on_date),
            kinds.SCHEDULE: self._on_schedule,
            kinds.SEGMENT: self._with_member(segments.on_recheck_due),
            kinds.EFFECTS: self._with_member(writer.on_effects_due),
        }

    def ensure_schedules(self, now: datetime) -> None:
        """Each schedule journey has its next firing in the due index (idempotent)."""
        tz = self.project.settings.zone
        change = Commit()
        for journey in self.project.journeys.values():
            fire = next_schedule_fire(journey, now - timedelta(seconds=1), tz)
            if fire is not None and Firing(journey.id, fire) not in self._scheduled:
                change.timers.append(kinds.schedule_timer(journey.id, fire))
        if not change.empty() and self.store.commit(change):
            self._scheduled.update(Firing(t.payload["journey"], t.due_at) for t in change.timers)

    def on_tick(self, now: datetime) -> TickReport:
        report = TickReport()
        self.ensure_schedules(now)
        start = self.due.cursor()
        first_failed: str | None = None
        for bucket in self.due.buckets_to_visit(start, now):
            report.buckets.append(bucket)
            for due in self.due.due(bucket, now):
                report.timers += 1
                try:
                    self.handlers.get(due.timer.kind, self._on_unknown)(due, now)
                except Exception:
                    report.failed += 1
                    first_failed = first_failed or bucket
                    logger.exception("timer failed", extra={"timer_id": due.timer.timer_id})
        self.due.set_cursor(min(first_failed or hour_bucket(now), hour_bucket(now)))
        return report

    def _with_member(self, handler: MemberTimerHandler) -> TimerHandler:
        """The handler is given the timer's member (None if gone or not named)."""

        def with_member(due: DueTimer, now: datetime) -> None:
            member_id = due.timer.member_id
            handler(due, self.members.get(member_id) if member_id else None, now)

        return with_member

    def _consume(self, due: DueTimer) -> None:
        self.store.commit(Commit(consumed=due))

    def _on_unknown(self, due: DueTimer, now: datetime) -> None:
        logger.warning("unknown timer kind", extra={"kind": due.timer.kind})
        self._consume(due)

    def _on_step(self, due: DueTimer, now: datetime) -> None:
        """An enrolment's wait ended: resume it."""
        timer = due.timer
        if not timer.member_id:
            self._on_unknown(due, now)
            return
        # The member and the enrolment in one BatchGetItem.
        found = self.enrolments.member_and_enrolment(
            timer.member_id, timer.payload["journey"], timer.payload["enrolment_id"]
        )
        member, enrolment = found.member, found.enrolment
        journey = self.versions.journey_for(enrolment) if enrolment is not None else None
        if member is None or enrolment is None or journey is None:
            self._consume(due)
            return
        ctx = self.contexts.build(member, now, enrolment)
        outcome = advance.resume(enrolment, journey, ctx, now, self.contexts.runtime)
        self.writer.apply(outcome, member, now, consumed=due)

    def _on_date(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        """A member's date came: start the date journey, and set the next firing."""
        journey = self.project.journeys.get(due.timer.payload["journey"])
        date = journey.journey.trigger.date if journey is not None else None
        if journey is None or member is None or date is None:
            self._consume(due)
            return
        tz = self.project.settings.zone
        ctx = self.contexts.build(member, now)
        fire_at = due.timer.due_at
        # A timer for a date the member has since changed is stale: drop it.
        current = next_date_fire_for(journey, ctx, fire_at - timedelta(seconds=1), tz)
        if current is None or utc(current) != utc(fire_at):
            self._consume(due)
            return
        following = next_date_fire_for(journey, ctx, fire_at, tz)
        timers = (
            [] if following is None else [kinds.date_timer(journey.id, member.member_id, following)]
        )
        trigger = date_trigger_event(journey, member.member_id, fire_at, value_at(date.field, ctx))
        history = [
            e for e in self.enrolments.enrolments(member.member_id) if e.journey == journey.id
        ]
        allowed = entry_allowed(
            journey, self.contexts.build(member, now, event=trigger), history, now
        )
        started = allowed and self.writer.start(
            journey, member, trigger, history, now, extra=Commit(consumed=due, timers=list(timers))
        )
        if not started:
            self.store.commit(Commit(consumed=due, timers=timers))

    def _on_schedule(self, due: DueTimer, now: datetime) -> None:
        """A schedule journey fires: enrol its segment's members, set the next firing."""
        journey = self.project.journeys.get(due.timer.payload["journey"])
        schedule = journey.journey.trigger.schedule if journey is not None else None
        if journey is None or schedule is None:
            self._consume(due)
            return
        fire_at = due.timer.due_at
        trigger = schedule_trigger_event(journey, fire_at)
        for member_id in list(self.membership.segment_members(schedule.segment)):
            member = self.members.get(member_id)
            if member is None:
                continue
            history = [e for e in self.enrolments.enrolments(member_id) if e.journey == journey.id]
            ctx = self.contexts.build(member, now, event=trigger)
            if entry_allowed(journey, ctx, history, now):
                self.writer.start(journey, member, trigger, history, now)
        follow_up = Commit(consumed=due)
        following = next_schedule_fire(journey, fire_at, self.project.settings.zone)
        if following is not None:
            follow_up.timers.append(kinds.schedule_timer(journey.id, following))
        self.store.commit(follow_up)
