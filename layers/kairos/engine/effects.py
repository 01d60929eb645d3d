"""What advancing an enrolment asks the outside world to do.

The step engine is pure: it returns effects and the evaluator applies them through the
store and the queues — in order, after the enrolment's conditional write succeeded (so a
lost race applies nothing). Every effect is deterministic in (enrolment, step, visit),
which makes applying one twice harmless: sends carry a delivery id, member changes an
event id, timers a key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kairos.models.send_request import SendRequest

TimerReason = Literal["wait", "wait_for", "quiet_hours"]
ChangeType = Literal["tag.added", "tag.removed", "profile.updated", "richmenu.set"]


class _Effect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Send(_Effect):
    """Put this request on the channel queue (`not_before` → SQS DelaySeconds)."""

    kind: Literal["send"] = "send"
    request: SendRequest


class HeldOut(_Effect):
    """The member is in the journey's control group: record the send that would have
    happened (for the funnel and lift), send nothing."""

    kind: Literal["held_out"] = "held_out"
    enrolment_id: str
    member_id: str
    journey: str
    step: str
    template: str
    delivery_id: str
    at: AwareDatetime


class Timer(_Effect):
    """Wake the enrolment at `at` (the due index); `reason`: wait, wait_for, quiet_hours."""

    kind: Literal["timer"] = "timer"
    enrolment_id: str
    member_id: str
    at: AwareDatetime
    reason: TimerReason


class MemberChange(_Effect):
    """A change to the member, as a canonical event to apply through the store like any
    other (so it is on the timeline and can trigger journeys). `origin` lets entry
    rules refuse trigger loops (see `kairos.engine.entry`)."""

    kind: Literal["member_change"] = "member_change"
    member_id: str
    event_id: str
    type: ChangeType
    data: dict[str, Any]
    time: AwareDatetime
    origin: dict[str, Any]
    """{journey, step, enrolment, depth}: depth counts journey-made hops in a chain."""

    def canonical(self, member: dict[str, str]) -> dict[str, Any]:
        """The canonical event (SPEC §1) for a member known by these identifiers."""
        return {
            "id": self.event_id,
            "type": self.type,
            "time": self.time.isoformat(),
            "member": member,
            "data": {**self.data, "kairos_origin": self.origin},
        }


class EnterJourney(_Effect):
    """Enrol the member into another journey (its audience and entry rules apply)."""

    kind: Literal["enter_journey"] = "enter_journey"
    journey: str
    member_id: str
    key: str
    """Idempotency key for the new enrolment's id."""
    trigger: dict[str, Any]
    """The entering enrolment's trigger, carried over (`trigger.*` stays meaningful)."""
    origin: dict[str, Any]


class Exit(_Effect):
    """The enrolment ended: `completed` (ran off the end), `exit step`, `goal <type>`
    (converted), or a reason it could not go on."""

    kind: Literal["exit"] = "exit"
    enrolment_id: str
    member_id: str
    journey: str
    reason: str
    converted: bool = False
    at: AwareDatetime


class Counter(_Effect):
    """Add one to a journey (step is None) or step counter."""

    kind: Literal["counter"] = "counter"
    journey: str
    step: str | None
    name: str


Effect = Annotated[
    Send | HeldOut | Timer | MemberChange | EnterJourney | Exit | Counter,
    Field(discriminator="kind"),
]
