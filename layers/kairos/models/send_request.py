"""The send request: what the journey engine puts on a channel queue for the sender.

Versioned (`v`) because messages outlive deployments: a sender must read every version
still possibly in flight.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ChannelChoice = Literal["line", "email", "sms", "auto"]
SEND_REQUEST_VERSION = 1


def delivery_id_for(enrolment_id: str, step_id: str, visit: int) -> str:
    """Deterministic: the same step of the same enrolment on the same visit (loops
    revisit steps) always yields the same id, so a re-evaluation never double-sends."""
    raw = f"{enrolment_id}|{step_id}|{visit}".encode()
    return "d-" + hashlib.sha256(raw).hexdigest()[:32]


class StepSend(BaseModel):
    """What a journey step's send says, whoever it goes to (a `SendRequest` adds the
    member; a `SendGroup`, kairos.models.send_group, adds many)."""

    model_config = ConfigDict(extra="forbid")

    journey: str
    journey_version: str
    step: str
    template: str
    template_version: str
    channel: ChannelChoice
    fallback: list[Literal["line", "email", "sms"]] = Field(default_factory=list)
    transactional: bool = False
    trigger: dict[str, Any] = Field(default_factory=dict)
    """The canonical event that started the enrolment (templates see it as `event`)."""
    not_before: AwareDatetime | None = None
    """Do not deliver before this time (sub-minute precision beyond SQS DelaySeconds)."""
    requested_at: AwareDatetime
    """The engine's "now" when the step ran: the sender's clock for caps and quotas."""


class ReplyOffer(BaseModel):
    """The member's own LINE event's reply token, offered to a send that event made due
    at once: the sender replies with it (free on LINE) while it is usable, else pushes.
    Sends of one event share the token in `order`; LINE takes one reply per token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)
    by: AwareDatetime
    """Not used after this moment (LINE: within about a minute of the webhook)."""
    order: int = Field(default=0, ge=0)
    """This send's place among the sends the event made (its messages' place in the reply)."""


class SendRequest(StepSend):
    v: Literal[1] = 1
    delivery_id: str = Field(min_length=1, max_length=100)
    member_id: str = Field(min_length=1)
    enrolment_id: str
    reply: ReplyOffer | None = None
    """Set by the evaluator on a send the member's LINE event made due at once."""
