"""An engine outcome → one conditional commit, then its sends and member changes.

The enrolment (conditional on its version, or on not existing), the timers it sets, the
timer it consumed, its step counters and timeline entries go in one transaction. Sends,
member changes and `enter`s run only after that transaction succeeded, so a lost race
applies nothing. They also ride in that transaction as a guard timer two minutes out:
deleted once they are all done, it replays them if one failed or the function died
half-way — each is idempotent (delivery id, event id, enrolment key).

Inside `sends_together()` (a whole tick, a whole stream batch) the sends wait in a
buffer instead and go out together (`SendQueues.send_many`: a step sent to a segment
becomes group messages of up to 500 members, not one message per member) when the block
ends or every `FLUSH_AT` sends; each outcome's guard timer is deleted only once all its
sends are on a queue.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from kairos import step_counters
from kairos.engine import advance, steps
from kairos.engine.compiled import CompiledJourney
from kairos.engine.effects import Counter, Effect, EnterJourney, Exit, HeldOut, MemberChange, Send
from kairos.engine.effects import Timer as Wake
from kairos.engine.enrolment import Enrolment
from kairos.engine.entry import entry_allowed
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.ports import ChangeSink, Commits, DueIndex, Enrolments, SendQueues
from kairos.evaluator.timer_kinds import AfterCommit, effects_guard, step_timer
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.models.send_group import Outgoing
from kairos.models.send_request import ReplyOffer, SendRequest
from kairos.observability import logger
from kairos.project import Project
from kairos.store.records import Commit, DueTimer, StepCounter, TimelineEntry, Timer

_EFFECTS: TypeAdapter[Effect] = TypeAdapter(Effect)

FLUSH_AT = 1_000
"""Buffered sends that go out at once: a multiple of a group's 500 members, and soon
enough (≈10 s of commits) that no guard timer (two minutes) fires meanwhile."""


REPLY_SECONDS = 55
"""How long after the member's LINE event its reply token is offered to sends (LINE:
usable within about a minute of the webhook; the rest is the sender's margin)."""


@dataclass
class _ReplyChance:
    """The reply token of the event being reacted to, and the sends it was offered to."""

    token: str
    by: datetime
    offered: int = 0

    def offer(self, request: SendRequest, now: datetime) -> SendRequest:
        """The request with the token offered, when it is a send due now that may go
        on LINE (the sender decides whether the member's route starts there)."""
        due_now = request.not_before is None or request.not_before <= now
        if request.reply is not None or request.channel not in ("line", "auto") or not due_now:
            return request
        offer = ReplyOffer(token=self.token, by=self.by, order=self.offered)
        self.offered += 1
        return request.model_copy(update={"reply": offer})


def reply_chance(event: Mapping[str, Any], now: datetime) -> _ReplyChance | None:
    """The event's reply token while it may still be used (a late or redelivered
    event's token is past LINE's minute: no offer)."""
    token = event.get("reply_token")
    if not isinstance(token, str) or not token:
        return None
    try:
        at = datetime.fromisoformat(str(event.get("time")))
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    by = min(at, now) + timedelta(seconds=REPLY_SECONDS)
    return _ReplyChance(token, by) if by > now else None


@dataclass(frozen=True)
class _Awaiting:
    """A committed outcome's guard timer, deleted once these sends are on a queue."""

    guard: Timer
    delivery_ids: frozenset[str]


class OutcomeWriter:
    def __init__(
        self,
        project: Project,
        store: Commits,
        enrolments: Enrolments,
        due: DueIndex,
        contexts: ContextBuilder,
        queues: SendQueues,
        apply_change: ChangeSink,
    ) -> None:
        self.project = project
        self.store = store
        self.enrolments = enrolments
        self.due = due
        self.contexts = contexts
        self.queues = queues
        self.apply_change = apply_change
        self._buffer: list[Outgoing] | None = None
        """Sends waiting to go out together (None: each goes out at once)."""
        self._awaiting: list[_Awaiting] = []
        self._reply: _ReplyChance | None = None
        """The reply token sends made due at once are offered (inside `replying`)."""

    @contextmanager
    def sends_together(self) -> Iterator[None]:
        """Sends of the outcomes applied in this block go out together, when it ends
        (even by an error: their outcomes are committed) or every FLUSH_AT sends."""
        if self._buffer is not None:  # already inside one
            yield
            return
        self._buffer = []
        try:
            yield
        finally:
            self.flush()
            self._buffer = None

    def flush(self) -> None:
        """Put the buffered sends on their queues; delete the guard timer of each
        outcome whose sends all made it (the others replay when their guard is due)."""
        outgoing, awaiting = list(self._buffer or []), self._awaiting
        if self._buffer is not None:
            self._buffer.clear()
        self._awaiting = []
        if not outgoing and not awaiting:
            return
        try:
            failed = self.queues.send_many(outgoing) if outgoing else set()
        except Exception:
            logger.exception("sends not queued; their guard timers will retry")
            return
        for waiting in awaiting:
            if waiting.delivery_ids & failed:
                continue
            self.due.delete(self.due.locate(waiting.guard))

    @contextmanager
    def replying(self, event: Mapping[str, Any], now: datetime) -> Iterator[None]:
        """Sends that outcomes applied in this block make due at once are offered the
        event's reply token, in the order they are made (a journey's first steps, the
        steps after a `wait_for` the event ended, journeys of segments it entered)."""
        previous, self._reply = self._reply, reply_chance(event, now)
        try:
            yield
        finally:
            self._reply = previous

    def start(
        self,
        journey: CompiledJourney,
        member: Member,
        trigger: Mapping[str, Any],
        history: list[Enrolment],
        now: datetime,
        key: str | None = None,
        extra: Commit | None = None,
    ) -> bool:
        """Enrol the member (entry rules already passed) and commit the first steps;
        `extra` rides in the same transaction. False if another evaluation won."""
        # The token lives a minute: the enrolment keeps the event without it.
        trigger = {k: v for k, v in trigger.items() if k != "reply_token"}
        ctx = self.contexts.build(member, now, event=trigger)
        outcome = advance.start(
            journey, member.member_id, ctx, trigger, now, self.contexts.runtime,
            entry_number=len(history) + 1, key=key,
        )  # fmt: skip
        return self.apply(outcome, member, now, new=True, extra=extra)

    def apply(
        self,
        outcome: steps.Outcome,
        member: Member,
        now: datetime,
        *,
        new: bool = False,
        consumed: DueTimer | None = None,
        extra: Commit | None = None,
    ) -> bool:
        """Commit the outcome (with `extra` and the consumed timer), then run its effects.
        False: someone else moved this enrolment (or took this timer) first."""
        change = extra if extra is not None else Commit()
        change.consumed = consumed or change.consumed
        enrolment = outcome.enrolment
        if outcome.changed:
            change.enrolment = enrolment
            change.expected_version = None if new else outcome.expected_version
        after: list[AfterCommit] = []
        effects = outcome.effects
        if self._reply is not None:
            chance = self._reply
            effects = [
                Send(request=chance.offer(e.request, now)) if isinstance(e, Send) else e
                for e in effects
            ]
        for effect in effects:
            if isinstance(effect, Wake):
                change.timers.append(step_timer(effect, enrolment.journey))
            elif isinstance(effect, Counter):
                change.counters[StepCounter(effect.journey, effect.step or "-", effect.name)] += 1
            elif isinstance(effect, Exit):
                _record_exit(change, effect, enrolment)
            elif isinstance(effect, HeldOut):
                change.timeline.append(_held_out_entry(effect))
            else:
                after.append(effect)
        guard = effects_guard(after, member.member_id, f"{enrolment.id}:{enrolment.version}", now)
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
        step_counters.report(_increments(change))
        if guard is not None:
            self._run_then_clear(after, guard, member, now)
        return True

    def _run_then_clear(
        self, after: list[AfterCommit], guard: Timer, member: Member, now: datetime
    ) -> None:
        """Run a committed outcome's effects; its guard timer goes once they are done
        (its sends buffered inside `sends_together`: once they are on a queue)."""
        buffer = self._buffer
        if buffer is None:
            if self.run_effects(after, member, now):
                self.due.delete(self.due.locate(guard))
            return
        sends = [e.request for e in after if isinstance(e, Send)]
        if not self.run_effects([e for e in after if not isinstance(e, Send)], member, now):
            return  # the guard replays them all, sends included
        buffer.extend(Outgoing(r, self._queue_for(r), now) for r in sends)
        self._awaiting.append(_Awaiting(guard, frozenset(r.delivery_id for r in sends)))
        if len(buffer) >= FLUSH_AT:
            self.flush()

    def run_effects(self, effects: list[AfterCommit], member: Member, now: datetime) -> bool:
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

    def on_effects_due(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        """A step's effects were not confirmed done: run them again (idempotently)."""
        if member is None:
            self.store.commit(Commit(consumed=due))
            return
        effects = [_EFFECTS.validate_python(e) for e in due.timer.payload["effects"]]
        runnable = [e for e in effects if isinstance(e, AfterCommit)]
        if self.run_effects(runnable, member, now):
            self.store.commit(Commit(consumed=due))
            return
        again = effects_guard(runnable, member.member_id, f"{due.timer.payload['key']}:retry", now)
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
        enrolments = self.enrolments.enrolments(member.member_id)
        history = [e for e in enrolments if e.journey == journey.id]
        ctx = self.contexts.build(member, now, event=trigger)
        if entry_allowed(journey, ctx, history, now):
            self.start(journey, member, trigger, history, now, key=effect.key)


def _record_exit(change: Commit, effect: Exit, enrolment: Enrolment) -> None:
    kind = "journey.converted" if effect.converted else "journey.exited"
    if effect.converted and enrolment.holdout:
        # The control group's conversions, for `kairos stats` holdout lift.
        change.counters[StepCounter(effect.journey, "-", "converted_holdout")] += 1
    data = {"journey": effect.journey, "enrolment_id": effect.enrolment_id, "reason": effect.reason}
    change.timeline.append(
        TimelineEntry(effect.member_id, effect.at, f"{effect.enrolment_id}.end", kind, data)
    )


def _increments(change: Commit) -> step_counters.StepIncrements:
    """The committed counters by journey step, for the dashboard's `step counters` line."""
    increments: dict[tuple[str, str], dict[str, float]] = {}
    for counter, amount in change.counters.items():
        increments.setdefault((counter.journey, counter.step), {})[counter.name] = amount
    return increments


def _held_out_entry(effect: HeldOut) -> TimelineEntry:
    data = {"journey": effect.journey, "step": effect.step, "template": effect.template,
            "delivery_id": effect.delivery_id}  # fmt: skip
    return TimelineEntry(effect.member_id, effect.at, effect.delivery_id, "journey.held_out", data)
