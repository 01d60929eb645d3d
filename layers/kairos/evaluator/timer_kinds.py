"""The timers the evaluator puts in the due index, one constructor per kind.

Each id is deterministic in what the timer is for, so writing the same timer twice (a
redelivered record, two overlapping ticks) keeps one item:

| kind       | id                                          | payload                    |
|------------|---------------------------------------------|----------------------------|
| `step`     | `step:<enrolment>:<iso at>:<reason>`        | journey, enrolment_id      |
| `date`     | `date:<journey>:<member>:<iso at>`          | journey                    |
| `schedule` | `schedule:<journey>:<iso at>`               | journey                    |
| `segment`  | `segment:<segment>:<member>:<iso at>`       | segment                    |
| `effects`  | `effects:<enrolment>:<version>[:retry...]`  | effects, key               |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kairos.clock import iso
from kairos.engine import effects
from kairos.engine.effects import EnterJourney, MemberChange, Send
from kairos.store.records import Timer

STEP = "step"
DATE = "date"
SCHEDULE = "schedule"
SEGMENT = "segment"
EFFECTS = "effects"

GUARD_DELAY = timedelta(minutes=2)
"""How long a committed step's effects have to confirm they are done before replaying."""

AfterCommit = Send | MemberChange | EnterJourney
"""Effects that run only once their outcome's transaction succeeded."""


def step_timer(effect: effects.Timer, journey_id: str) -> Timer:
    """An enrolment's wait ends (a wait, a `wait_for` timeout, quiet hours)."""
    return Timer(
        timer_id=f"step:{effect.enrolment_id}:{iso(effect.at)}:{effect.reason}",
        due_at=effect.at,
        kind=STEP,
        member_id=effect.member_id,
        payload={"journey": journey_id, "enrolment_id": effect.enrolment_id},
    )


def date_timer(journey_id: str, member_id: str, at: datetime) -> Timer:
    return Timer(
        f"date:{journey_id}:{member_id}:{iso(at)}",
        at,
        DATE,
        member_id,
        {"journey": journey_id},
        referenced=True,  # no enrolment names it: the member's partition does
    )


def schedule_timer(journey_id: str, at: datetime) -> Timer:
    return Timer(f"schedule:{journey_id}:{iso(at)}", at, SCHEDULE, None, {"journey": journey_id})


def segment_timer(segment_id: str, member_id: str, at: datetime) -> Timer:
    return Timer(
        f"segment:{segment_id}:{member_id}:{iso(at)}",
        at,
        SEGMENT,
        member_id,
        {"segment": segment_id},
        referenced=True,
    )


def effects_guard(
    pending: list[AfterCommit], member_id: str, key: str, now: datetime
) -> Timer | None:
    """A timer that replays these effects unless they are confirmed done first."""
    if not pending:
        return None
    return Timer(
        timer_id=f"effects:{key}",
        due_at=now + GUARD_DELAY,
        kind=EFFECTS,
        member_id=member_id,
        payload={"effects": [e.model_dump(mode="json") for e in pending], "key": key},
    )
