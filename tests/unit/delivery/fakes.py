"""In-memory stand-ins for the sender's stores (fakes, not mocks), with the same
semantics as the DynamoDB adapters: conditional writes and atomic ADDs."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from kairos.delivery.channels.base import SendResult
from kairos.delivery.frequency import Window
from kairos.delivery.model import Outcome, ReplyUnusable
from kairos.delivery.ports import EarlierTake, StepCounts
from kairos.delivery.templates import LineContent
from kairos.models.member import Member


@dataclass
class MemoryWindows:
    items: dict[str, Window] = field(default_factory=dict)
    writes: int = 0
    race_once: bool = False
    """Make the next conditional write lose to a concurrent writer."""

    def get_window(self, member_id: str) -> Window:
        return self.items.get(member_id, Window())

    def put_window(self, member_id: str, sends: dict[str, int], expected: Window) -> bool:
        current = self.items.get(member_id, Window())
        if self.race_once:
            self.race_once = False
            self.items[member_id] = Window({**current.sends, "d-other": max(sends.values())}, current.version + 1, True)  # fmt: skip
            return False
        if current.exists != expected.exists or current.version != expected.version:
            return False
        self.writes += 1
        self.items[member_id] = Window(dict(sends), expected.version + 1, True)
        return True


@dataclass
class MemoryCounters:
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, endpoint: str, epoch_second: int, n: int, limit: int) -> int:
        with self.lock:
            self.requests += 1
            self.counts[(endpoint, epoch_second)] += n
            count = self.counts[(endpoint, epoch_second)]
        return max(0, min(n, limit - (count - n)))


@dataclass
class MemoryQuota:
    totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    exhausted: set[tuple[str, str]] = field(default_factory=set)

    def add(self, channel: str, month: str, n: int) -> tuple[int, bool]:
        self.totals[(channel, month)] += n
        return self.totals[(channel, month)], (channel, month) in self.exhausted

    def mark_exhausted(self, channel: str, month: str) -> None:
        self.exhausted.add((channel, month))


class FakeClock:
    """Wall-clock seconds that only move when someone sleeps."""

    def __init__(self, start: float = 1_000_000.25) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


# ---- the whole sender on memory (wiring.build with these) ---------------------------


@dataclass
class MemoryDeliveries(MemoryWindows):
    """ports.DeliveryStorePort: members, frequency windows, delivery records, timeline
    entries and step counters."""

    members: dict[str, Member] = field(default_factory=dict)
    records: dict[str, Outcome] = field(default_factory=dict)
    timeline: list[tuple[str, Outcome]] = field(default_factory=list)
    """(kind, outcome) in the order written; a rewrite of an entry replaces it."""
    steps: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    reads: int = 0

    def recipients(self, member_ids: Sequence[str]) -> dict[str, tuple[Member | None, Window]]:
        self.reads += 1
        return {m: (self.members.get(m), self.get_window(m)) for m in member_ids}

    def record(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self.records[outcome.delivery_id] = outcome
            self._entry(f"delivery.{outcome.status}", outcome)

    def record_deferred(self, outcome: Outcome) -> None:
        self._entry("delivery.deferred", outcome)

    def _entry(self, kind: str, outcome: Outcome) -> None:
        key = (kind == "delivery.deferred", outcome.delivery_id)
        self.timeline = [
            (k, o) for k, o in self.timeline if (k == "delivery.deferred", o.delivery_id) != key
        ]
        self.timeline.append((kind, outcome))

    def count(self, counters: StepCounts) -> None:
        for (journey, step), counts in counters.items():
            for name, n in counts.items():
                self.steps[(journey, step, name)] += n


@dataclass
class MemoryLimits(MemoryCounters, MemoryQuota):
    """ports.LimitStorePort."""


@dataclass
class MemoryRedelivery:
    returned: list[tuple[str, str, int]] = field(default_factory=list)
    queued: list[tuple[str, str, int]] = field(default_factory=list)
    """New messages: (queue, body, delay)."""

    def return_later(self, queue: str, receipt: str, delay_seconds: int) -> None:
        self.returned.append((queue, receipt, delay_seconds))

    def send_later(self, queue: str, body: str, delay_seconds: int) -> None:
        self.queued.append((queue, body, delay_seconds))


class MemoryIdempotency(BasePersistenceLayer):
    """Powertools' idempotency records in memory, through the persistence layer's
    extension points, with the DynamoDB layer's condition for a new claim (absent,
    expired, or in progress past its in-progress expiry)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        record = self.records.get(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return record

    def _put_record(self, data_record: DataRecord) -> None:
        old = self.records.get(data_record.idempotency_key)
        now_ms = time.time() * 1000
        stale = (
            old is None
            or old.is_expired
            or (
                old.status == "INPROGRESS"
                and old.in_progress_expiry_timestamp is not None
                and old.in_progress_expiry_timestamp < now_ms
            )
        )
        if not stale:
            raise IdempotencyItemAlreadyExistsError(old_data_record=old)
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)

    def statuses(self) -> list[str]:
        return sorted(r.status for r in self.records.values())


@dataclass
class Call:
    endpoint: str
    to: list[str]
    text: str
    retry_key: str


@dataclass
class FakeLineApi:
    """A LINE channel adapter that remembers what it was asked to send; a retry key it
    accepted before is answered like LINE's 409 (nothing sent again)."""

    calls: list[Call] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    """Raised by the next calls, in order."""
    accepted: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    """Reply tokens issued (→ the user) and not used yet."""
    reply_failures: list[Exception] = field(default_factory=list)
    """Raised by the next replies, in order (after LINE used the token when `sent_anyway`)."""
    sent_anyway: bool = False

    def issue(self, user: str) -> str:
        token = f"rt-{len(self.tokens)}-{user}"
        self.tokens[token] = user
        return token

    def reply(self, token: str, messages: list[dict[str, Any]]) -> list[str | None]:
        user = self.tokens.get(token)
        if self.reply_failures:
            if self.sent_anyway and user is not None:
                self._replied(token, user, messages)
            raise self.reply_failures.pop(0)
        if user is None:
            raise ReplyUnusable("reply token unusable")
        return self._replied(token, user, messages)

    def _replied(self, token: str, user: str, messages: list[dict[str, Any]]) -> list[str | None]:
        del self.tokens[token]
        text = " | ".join(str(m.get("text", "")) for m in messages)
        self.calls.append(Call("reply", [user], text, token))
        return [f"msg-{len(self.calls)}-{i}" for i in range(len(messages))]

    def push(self, to: str, content: LineContent, retry_key: str) -> SendResult:
        return self._send("push", [to], content, retry_key)

    def multicast(self, to: list[str], content: LineContent, retry_key: str) -> SendResult:
        return self._send("multicast", list(to), content, retry_key)

    def _send(self, endpoint: str, to: list[str], content: LineContent, key: str) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        if key in self.accepted:
            return SendResult(self.accepted[key], accepted_earlier=True)
        self.calls.append(Call(endpoint, to, content.text, key))
        self.accepted[key] = f"req-{len(self.calls)}"
        return SendResult(self.accepted[key])

    def recipients(self) -> Counter[str]:
        return Counter(to for call in self.calls for to in call.to)


@dataclass
class MemoryReplyTokens:
    """ports.ReplyTokens in memory: the first take wins."""

    taken: dict[str, EarlierTake] = field(default_factory=dict)

    def take(self, token: str, delivery_ids: Sequence[str], now: datetime) -> EarlierTake | None:
        earlier = self.taken.get(token)
        if earlier is None:
            self.taken[token] = EarlierTake(frozenset(delivery_ids), "taken")
        return earlier

    def unsent(self, token: str) -> None:
        self.taken[token] = EarlierTake(self.taken[token].delivery_ids, "unsent")
