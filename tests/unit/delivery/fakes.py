"""In-memory stand-ins for the sender's stores (fakes, not mocks), with the same
semantics as the DynamoDB adapters: conditional writes and atomic ADDs."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from kairos.delivery.frequency import Window


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
