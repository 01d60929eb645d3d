"""What the sender decides and records: the outcome of one delivery attempt, and the
errors that tell the batch whether to retry, fall back or give up.

An `Outcome` is also what the idempotency record stores, so a redelivered message gets
back the first attempt's result instead of sending again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

ChannelName = Literal["line", "email", "sms"]
Status = Literal["sent", "failed", "unreachable", "capped", "quota_exceeded", "deferred"]
"""`deferred` only appears on the timeline (returned to the queue until `not_before`)."""
Via = Literal["reply", "push", "multicast"]
CHANNELS: tuple[ChannelName, ...] = ("line", "email", "sms")
EXCERPT_CHARS = 5000  # LINE's text limit: the timeline keeps what the member saw
"""The rendered text kept on the timeline (`kairos simulate` prints it); no more."""


@dataclass(frozen=True)
class Window:
    """A member's frequency window as read (`frequency.py`): the recent sends as
    `{delivery_id: epoch seconds}`, the item's version and whether it exists. A domain
    value both the cap and its store port name, so it lives here."""

    sends: dict[str, int] = field(default_factory=dict)
    version: int = 0
    exists: bool = False


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_id: str
    member_id: str
    journey: str
    step: str
    template: str
    enrolment_id: str
    status: Status
    time: AwareDatetime
    channel: ChannelName | None = None
    endpoint: str | None = None
    """`push` or `multicast` for LINE."""
    via: Via | None = None
    """How a LINE message went: `reply` (with the member's reply token), `push` or
    `multicast`."""
    billed: bool | None = None
    """Whether LINE counts it against the month (a reply is free; push and multicast
    count once per recipient). None off LINE."""
    held_until: AwareDatetime | None = None
    """A send kept for LINE's next month (`monthly_limit_reached: next_month`): it goes
    back on its queue then; nothing is recorded as its outcome until it is sent."""
    reply_fallback: str | None = None
    """Why a send offered the member's reply token went another way (expired, used,
    refused): it was pushed instead, and billed."""
    provider_message_id: str | None = None
    reason: str | None = None
    text: str | None = None
    """The first EXCERPT_CHARS of the rendered LINE/SMS text or email subject."""
    segments: int | None = None
    """SMS segments billed."""


def excerpt(text: str | None) -> str | None:
    return None if text is None else text[:EXCERPT_CHARS]


# ---- errors a channel or the limiter raises ------------------------------------------


class DeliveryError(Exception):
    """Base of everything the sender turns into an outcome or a retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Give the message back to the queue; it comes back after `delay` seconds.

    `backoff=True` (throttling, 5xx, timeouts) lets the caller grow the delay with the
    number of receives; `backoff=False` (a `not_before` in the future) uses it as is."""

    def __init__(self, reason: str, delay: float = 1.0, backoff: bool = True) -> None:
        super().__init__(reason)
        self.delay = delay
        self.backoff = backoff


class Throttled(RetryLater):
    """Our shared limiter or the provider said: too fast."""


class Transient(RetryLater):
    """5xx, a timeout, a dropped connection: the provider may or may not be fine."""


class Rejected(DeliveryError):
    """The provider refused this message for good (4xx other than 429)."""


class MonthlyLimit(DeliveryError):
    """The channel's monthly allowance is used up: try the next channel."""


class ReplyUnusable(DeliveryError):
    """LINE refused the reply token ("Invalid reply token": expired, or used already)
    or the reply was not accepted for a reason a push does not share: nothing was
    sent, so the messages go by push (with their retry keys) instead."""


class ReplyUnknown(DeliveryError):
    """The reply was sent but LINE's answer never came (a read timeout): it may have
    reached the member. The sender does not push it again (docs/sender.md, "Replies")."""


class RenderError(DeliveryError):
    """The template could not be rendered or validated for this channel."""


def outcome_time(now: datetime) -> datetime:
    """Outcomes keep millisecond precision: they become sort keys on the timeline."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
