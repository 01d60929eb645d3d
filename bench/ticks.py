"""Idle-tick benchmark: what one scheduled evaluator tick costs when nothing is due, as
the brand grows. Members wait in a journey with timers spread over the next 30 days
(several in the current hour, later than now); the tick reads the cursor, the month
directory and the current hour's shards, and must cost the same at any size.

Figures (`evaluator.tick_ms_idle_1k`, `_10k`, `_100k`): median wall time of a tick on
the memory backend through the real evaluator handler (101 ticks, Python's collector
kept out of the timings); `tick_idle_flatness` is the
largest over the smallest (target ≤ 1.10). `tick_requests_idle`: DynamoDB requests of
one idle tick (the same at every size).
"""

from __future__ import annotations

import gc
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kairos.store.records import Timer
from kairos.store.timers import DueIndex
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.pumps import schedule_event
from kairos_dev.local.simulator import Simulation

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 6, 1, 9, 0, 30, tzinfo=UTC)
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
TICKS = 101


def idle_tick_ms(members: int) -> tuple[float, float]:
    """(median ms, DynamoDB requests) of an idle tick with `members` waiting."""
    simulation = Simulation.start(str(EXAMPLES), NOW - timedelta(minutes=1), "memory")
    try:
        backend = simulation.backend
        assert isinstance(backend, MemoryBackend)
        due = DueIndex(simulation.stack.tables["main"], backend.client("dynamodb"))
        for n in range(members):
            # Most wait for days; every hundredth later this very hour.
            later = timedelta(minutes=30 + n % 20) if n % 100 == 0 else timedelta(hours=1 + n % 720)
            due.put(Timer(f"idle-{n}", NOW + later, "step", f"m-{n}", {"journey": "-"}))
        simulation.host.invoke("evaluator", schedule_event(NOW - timedelta(minutes=1)))
        requests = backend.aws.dynamodb.requests
        # The setup's 100,000 timers are the benchmark's objects, not a Lambda's heap:
        # collect them once, then keep Python's collector out of the sub-millisecond
        # timings, where one pass over them would be the whole figure.
        gc.collect()
        gc.disable()
        try:
            timings = _ticks(simulation)
        finally:
            gc.enable()
        count = _requests_of_one(simulation, requests)
        return statistics.median(timings), float(count)
    finally:
        simulation.stop()


def _ticks(simulation: Simulation) -> list[float]:
    timings = []
    for tick in range(TICKS):
        moment = NOW + timedelta(seconds=tick)
        began = time.perf_counter()
        simulation.host.invoke("evaluator", schedule_event(moment))
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def _requests_of_one(simulation: Simulation, requests: dict[str, int]) -> int:
    before = sum(requests.values())
    simulation.host.invoke("evaluator", schedule_event(NOW + timedelta(seconds=TICKS)))
    return sum(requests.values()) - before


TARGETS: dict[str, tuple[str, float]] = {"tick_idle_flatness": ("<=", 1.10)}


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    for name, members in SIZES.items():
        median, requests = idle_tick_ms(members)
        figures[f"tick_ms_idle_{name}"] = round(median, 3)
        figures["tick_requests_idle"] = requests
        print(f"idle tick with {members:>7,} waiting: {median:.2f} ms, {requests:.0f} requests")
    values = [figures[f"tick_ms_idle_{name}"] for name in SIZES]
    figures["tick_idle_flatness"] = round(max(values) / min(values), 3)
    return figures
