"""The shared send-rate limiter: every sender invocation of a channel endpoint draws
from one counter per wall-clock second in DynamoDB, so the sum across concurrent
invocations stays at or under `rate_per_second`.

Windows are aligned to epoch seconds (the fake LINE server counts the same way). One
`ADD` per draw returns the new count; the caller gets what was left under the limit
(`limit - (count - asked)`, clipped), so a draw never fails and never over-grants. A
draw asks for all the sends the batch still has for that endpoint and keeps the spare
tokens locally, but only for the window they were granted in: a token of second N is
never spent in second N+1, which is what keeps every window at the fake under the rate.

When the window is spent the limiter waits for the next one (bounded by `max_wait`),
because giving the message back to SQS costs a receive and a second of latency; after
that it raises `Throttled` and the message returns to the queue with backoff.

Rates are real-world: in Lambda the windows are wall-clock seconds and a wait is
`time.sleep`. Both come from a `Pace` (wiring: `build(pace=…)`), so tests drive them and
a simulation counts its windows in seconds of its own that a wait advances instead of
sleeping: a simulated year never waits in real time, and its sends are paced the same.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kairos.delivery.model import ChannelName, Throttled
from kairos.delivery.ports import RateCounters
from kairos.models.settings import Channels


def endpoint_of(channel: ChannelName, multicast: bool = False) -> str:
    """The rate-limited endpoint a send uses: `line.push`, `line.multicast`, `email`, `sms`."""
    if channel == "line":
        return "line.multicast" if multicast else "line.push"
    return channel


def endpoint_rate(channels: Channels, endpoint: str) -> float:
    """The brand's `rate_per_second` for an endpoint (the sum over every sender)."""
    return {
        "line.push": channels.line.rate_per_second,
        "line.multicast": channels.line.multicast_rate_per_second,
        "email": channels.email.rate_per_second,
        "sms": channels.sms.rate_per_second,
    }[endpoint]


@dataclass(frozen=True)
class Pace:
    """The seconds the limiter counts its windows in, and how it waits for the next one."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


WALL_PACE = Pace()
"""Production's: epoch seconds of the wall clock, and a real sleep."""


@dataclass
class _Pool:
    second: int = -1
    tokens: int = 0
    spent: bool = False
    """The shared counter for `second` had nothing left at our last draw."""


@dataclass
class RateLimiter:
    store: RateCounters
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 3.0
    """Seconds one acquire may wait for a window before giving up (`Throttled`)."""
    pools: dict[str, _Pool] = field(default_factory=dict)
    draws: int = 0
    """Counter requests made (for benchmarks)."""
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def paced(cls, store: RateCounters, pace: Pace) -> RateLimiter:
        return cls(store, clock=pace.clock, sleep=pace.sleep)

    def grant(self, endpoint: str, rate: float, want: int) -> int:
        """Take as many sends of `endpoint` as this second allows, at least one and at
        most `want` (waiting for the next window like `acquire`): what may go out now,
        concurrently."""
        with self._lock:
            self.acquire(endpoint, rate, want)
            pool = self.pools[endpoint]
            extra = max(0, min(pool.tokens, want - 1))
            pool.tokens -= extra
            return 1 + extra

    def acquire(self, endpoint: str, rate: float, want: int = 1) -> None:
        """Take one send of `endpoint`; `want` is how many this batch still needs (≥ 1)."""
        with self._lock:
            self._acquire(endpoint, rate, want)

    def _acquire(self, endpoint: str, rate: float, want: int) -> None:
        limit = max(1, math.floor(rate))
        pool = self.pools.setdefault(endpoint, _Pool())
        deadline = self.clock() + self.max_wait
        while True:
            now = self.clock()
            second = int(now)
            if pool.second == second and pool.tokens > 0:
                pool.tokens -= 1
                return
            if pool.second != second or not pool.spent:
                asked = max(1, min(want, limit))
                granted = self.store.take(endpoint, second, asked, limit)
                self.draws += 1
                pool.second, pool.tokens, pool.spent = second, granted, granted < asked
                if granted > 0:
                    pool.tokens -= 1
                    return
            # This second is spent: wait for the next (a little jitter spreads the
            # concurrent senders' first draws), unless that is past the deadline.
            wake = second + 1 + random.uniform(0, 0.01)
            if wake > deadline:
                raise Throttled(f"rate limit {limit}/s on {endpoint}", delay=1.0)
            self.sleep(max(0.0, wake - now))

    def release_unused(self) -> None:
        """Forget spare tokens (end of a batch); they were only good for their second."""
        self.pools.clear()
