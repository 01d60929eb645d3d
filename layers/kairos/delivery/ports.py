"""What the sender needs from the outside world, in its own terms: small Protocols the
adapters implement (the DynamoDB stores in `kairos.store`, the SQS adapter, the claims
on the idempotency table, in-memory fakes in tests).

Only domain values cross a port (`Member`, `Window`, `Outcome`, `SendRequest`, counts):
never a DynamoDB item, a boto3 client or a queue URL format.

| port               | implemented by                                   | used by            |
|--------------------|--------------------------------------------------|--------------------|
| `MemberLookup`     | `store.deliveries.DeliveryStore`                 | planning           |
| `FrequencyWindows` | `store.deliveries.DeliveryStore`                 | planning (the cap) |
| `DeliveryLog`      | `store.deliveries.DeliveryStore`                 | recording          |
| `StepCounters`     | `store.deliveries.DeliveryStore`                 | recording          |
| `RateCounters`     | `store.limits.LimitStore`                        | limiter            |
| `MonthlyQuota`     | `store.limits.LimitStore`                        | planning, recording|
| `Redelivery`       | `store.redelivery.QueueRedelivery`               | service            |
| `DeliveryClaims`   | `delivery.idempotency.PersistenceClaims`         | pushing, multicast |
| `ReplyTokens`      | `store.reply_tokens.ReplyTokenStore`             | replying           |
| `SendHolds`        | `store.send_holds.SendHoldStore`                 | pushing            |
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from kairos.delivery.model import Outcome, RetryLater, Window
from kairos.models.member import Member
from kairos.models.send_request import SendRequest

StepCounts = Mapping[tuple[str, str], Counter[str]]
"""(journey, step) → counts to add (`sent`, `failed`, …, `sent_<channel>`)."""


class MemberLookup(Protocol):
    def recipients(self, member_ids: Sequence[str]) -> dict[str, tuple[Member | None, Window]]:
        """Each member's profile (None when there is none) and frequency window, read
        together for a whole batch."""
        ...


class FrequencyWindows(Protocol):
    def get_window(self, member_id: str) -> Window: ...

    def put_window(self, member_id: str, sends: dict[str, int], expected: Window) -> bool:
        """Write if the window is still at `expected` (version, or absent); False on a race."""
        ...


class DeliveryLog(Protocol):
    def record(self, outcomes: Iterable[Outcome]) -> None:
        """The delivery record and the member's timeline entry of each outcome. Writing
        the same outcome twice leaves the same state (a replayed message)."""
        ...

    def record_deferred(self, outcome: Outcome) -> None:
        """A timeline entry for a send returned to the queue until its `not_before`."""
        ...


class StepCounters(Protocol):
    def count(self, counters: StepCounts) -> None:
        """Add to the per-step counters (atomic adds)."""
        ...


class RateCounters(Protocol):
    def take(self, endpoint: str, epoch_second: int, n: int, limit: int) -> int:
        """Add `n` to the endpoint's shared counter for that second; return how many fit."""
        ...


class MonthlyQuota(Protocol):
    def add(self, channel: str, month: str, n: int) -> tuple[int, bool]:
        """Add `n` (may be negative) to the month's count; return (new total, exhausted)."""
        ...

    def mark_exhausted(self, channel: str, month: str) -> None: ...


class Redelivery(Protocol):
    def return_later(self, queue: str, receipt: str, delay_seconds: int) -> None:
        """Make a received message visible again after `delay_seconds`. `queue` and
        `receipt` are the record's own (event source ARN, receipt handle)."""
        ...

    def send_later(self, queue: str, body: str, delay_seconds: int) -> None:
        """Put a new message on the record's queue (its event source ARN), visible after
        `delay_seconds` (≤ 900): what is left of a group message to retry."""
        ...


@dataclass(frozen=True)
class Claimed:
    """The delivery is ours to send; complete or release it."""


@dataclass(frozen=True)
class Done:
    """An earlier attempt finished this delivery: its outcome."""

    outcome: Outcome


@dataclass(frozen=True)
class Busy:
    """Another invocation holds the claim right now."""

    retry: RetryLater


Claim = Claimed | Done | Busy


class DeliveryClaims(Protocol):
    """Claims on the same records the idempotent single delivery uses, for deliveries
    that go out together (a multicast): a member is never sent twice, whichever way it
    went out first."""

    def claim(self, request: SendRequest) -> Claim: ...

    def claim_many(self, requests: Sequence[SendRequest]) -> list[Claim]:
        """The claims of many deliveries at once (in order), in as few requests as the
        store allows; each is still its own claim."""
        ...

    def complete(self, request: SendRequest, outcome: Outcome) -> None: ...

    def complete_many(self, completed: Sequence[tuple[SendRequest, Outcome]]) -> None: ...

    def release(self, request: SendRequest, error: Exception) -> None:
        """Give the claim up (nothing was sent): a retry may claim it again."""
        ...


class DeliveryStorePort(MemberLookup, FrequencyWindows, DeliveryLog, StepCounters, Protocol):
    """Everything the sender reads and writes about members and deliveries (one adapter
    usually serves them all)."""


class LimitStorePort(RateCounters, MonthlyQuota, Protocol):
    """The shared counters: send rates and monthly allowances."""


@dataclass(frozen=True)
class EarlierTake:
    """A reply token an earlier attempt took first: for which deliveries, and whether
    its reply may have gone out (`taken`: the call was made or about to be, its answer
    unknown) or surely did not (`unsent`: LINE answered and sent nothing)."""

    delivery_ids: frozenset[str]
    state: Literal["taken", "unsent"]


class ReplyTokens(Protocol):
    def take(self, token: str, delivery_ids: Sequence[str], now: datetime) -> EarlierTake | None:
        """Take the token for these deliveries before replying with it: None when this
        is the first take, else what the earlier take recorded (the token is LINE's
        to use once, and LINE's answer to a second use cannot tell used from expired)."""
        ...

    def unsent(self, token: str) -> None:
        """LINE answered the reply and sent nothing: a retry may push."""
        ...


class SendHolds(Protocol):
    def hold(self, request: SendRequest, until: datetime) -> None:
        """Put the request back on its queue at `until` (a due timer the evaluator's
        tick replays): LINE's next month."""
        ...
