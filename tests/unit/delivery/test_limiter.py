"""The shared rate limiter: never more than the rate in any second, across senders."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from kairos.delivery.limiter import WALL_PACE, Pace, RateLimiter
from kairos.delivery.model import Throttled
from tests.unit.delivery.fakes import FakeClock, MemoryCounters


def test_two_senders_together_stay_at_the_rate() -> None:
    # Given two limiters (two concurrent invocations) sharing one counter
    clock, store = FakeClock(), MemoryCounters()
    a = RateLimiter(store, clock=clock, sleep=clock.sleep, max_wait=5)
    b = RateLimiter(store, clock=clock, sleep=clock.sleep, max_wait=5)
    sends: Counter[int] = Counter()
    # When each takes 100 sends at 30/s, interleaved
    for i in range(200):
        (a if i % 2 else b).acquire("line.push", 30, want=10)
        sends[int(clock())] += 1
        clock.advance(0.001)
    # Then no second saw more than 30, and most of each second's budget was used
    # (a sleeping sender moves this single-threaded clock for both, stranding a few tokens)
    assert max(sends.values()) <= 30
    assert len(sends) <= 10


def test_tokens_are_not_carried_into_the_next_second() -> None:
    clock, store = FakeClock(start=1000.9), MemoryCounters()
    limiter = RateLimiter(store, clock=clock, sleep=clock.sleep)
    limiter.acquire("sms", 10, want=10)  # takes 10 for second 1000, spends one
    clock.advance(0.2)  # second 1001 now
    limiter.acquire("sms", 10, want=1)  # must draw again, not spend second 1000's
    assert store.counts[("sms", 1001)] == 1
    assert store.requests == 2


def test_it_waits_for_the_next_second_then_gives_up() -> None:
    clock, store = FakeClock(), MemoryCounters()
    store.counts[("email", int(clock()))] = 14  # this second is spent elsewhere
    limiter = RateLimiter(store, clock=clock, sleep=clock.sleep, max_wait=3)
    limiter.acquire("email", 14)
    assert 0.7 <= clock.slept <= 0.8  # waited until the next second
    for second in range(int(clock()), int(clock()) + 5):
        store.counts[("email", second)] = 14
    with pytest.raises(Throttled):
        limiter.acquire("email", 14)


def test_a_fractional_rate_still_allows_one_per_second() -> None:
    clock, store = FakeClock(), MemoryCounters()
    limiter = RateLimiter(store, clock=clock, sleep=clock.sleep)
    limiter.acquire("sms", 0.5)
    limiter.acquire("sms", 0.5)
    assert clock.slept > 0


def test_a_paced_limiter_counts_and_waits_in_its_paces_seconds() -> None:
    # Given a pace of its own (a simulation's seconds) and this second spent elsewhere
    clock, store = FakeClock(), MemoryCounters()
    store.counts[("email", int(clock()))] = 14
    limiter = RateLimiter.paced(store, Pace(clock=clock, sleep=clock.sleep))
    # When it takes a send, it waits through the pace for the next window and draws there
    limiter.acquire("email", 14)
    assert 0.7 <= clock.slept <= 0.8
    assert store.counts[("email", int(clock()))] == 1


def test_production_paces_on_the_wall_clock_with_a_real_sleep() -> None:
    assert (WALL_PACE.clock, WALL_PACE.sleep) == (time.time, time.sleep)
    limiter = RateLimiter.paced(MemoryCounters(), WALL_PACE)
    assert (limiter.clock, limiter.sleep) == (time.time, time.sleep)
