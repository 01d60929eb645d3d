"""A simulation's rate-limiter seconds: they follow the virtual clock, and a wait moves
them on instead of sleeping."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from kairos.clock import FixedClock
from kairos.delivery.limiter import RateLimiter
from kairos_dev.local.pace import SimulatedSeconds
from tests.unit.delivery.fakes import MemoryCounters

START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_the_seconds_are_the_virtual_clocks() -> None:
    clock = FixedClock(START)
    seconds = SimulatedSeconds(clock)
    assert seconds.now() == START.timestamp()
    clock.set(START + timedelta(hours=1))
    assert seconds.now() == START.timestamp() + 3600


def test_a_wait_moves_the_seconds_on_not_the_process_nor_the_virtual_clock() -> None:
    clock = FixedClock(START)
    seconds = SimulatedSeconds(clock)
    began = time.monotonic()
    seconds.sleep(30.0)
    assert time.monotonic() - began < 1.0
    assert seconds.now() == START.timestamp() + 30
    assert clock() == START


def test_the_seconds_never_run_back_and_the_virtual_clock_takes_over_when_ahead() -> None:
    clock = FixedClock(START)
    seconds = SimulatedSeconds(clock)
    seconds.sleep(5.0)
    clock.set(START + timedelta(seconds=2))  # behind what the wait reached
    assert seconds.now() == START.timestamp() + 5
    clock.set(START + timedelta(seconds=60))
    assert seconds.now() == START.timestamp() + 60
    seconds.sleep(0.5)
    assert seconds.now() == START.timestamp() + 60.5


def test_a_limiter_on_them_paces_a_spent_window_without_waiting_in_real_time() -> None:
    # Given a limiter at 2 per second on a simulation's seconds
    clock = FixedClock(START)
    seconds = SimulatedSeconds(clock)
    limiter = RateLimiter.paced(MemoryCounters(), seconds.pace)
    began = time.monotonic()
    # When it takes five sends at one virtual moment
    sent: Counter[int] = Counter()
    for _ in range(5):
        limiter.acquire("line.push", 2, want=5)
        sent[int(seconds.now())] += 1
    # Then they spread over three of the simulation's seconds, at once in real time
    first = int(START.timestamp())
    assert sent == {first: 2, first + 1: 2, first + 2: 1}
    assert time.monotonic() - began < 1.0
    assert clock() == START
