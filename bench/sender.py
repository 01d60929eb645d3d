"""Sender benchmark: Kairos's sender at LINE's quota, measured without the emulator.

Setup: the fake LINE (real HTTP on 127.0.0.1) limited to `quota_per_second` push
requests per second (LINE's 2,000) and answering after `KAIROS_BENCH_LINE_LATENCY`
seconds (0.04: LINE's API answers in tens of milliseconds); as many worker processes as
the stack's maximum concurrency for the LINE queue (`infra/constructs/sender.py`), each
one concurrent invocation running the real handler on its own memory backend, with the
batch size and thread pool the stack configures (bench/sender_worker.py). They start
together on a backlog of `KAIROS_BENCH_SENDER_BACKLOG` sends (split evenly) and draw
from one shared rate limiter.

The shared limiter: every worker's `RateLimiter` draws on one `LimitStore` (the
production adapter) on one memory table held by a `multiprocessing` manager process —
the counters Lambda's concurrent invocations share in DynamoDB. A manager (not a
socket server of our own) because its proxies are exactly a remote object with the
`take` method the port needs, and a draw is made once per batch and second, so the
round trip (~0.1 ms) is not on the per-message path.

Figures (`sender.*`):
- `rate_ratio`: pushes LINE accepted per second over the busy period / the quota. On a
  two-core machine the CPU of N senders plus the fake server caps this: see
  `cpu_ms_per_message` and the model below for what Lambda would do.
- `windows_over_quota`, `duplicates`, `lost`, `line_429`.
- `cpu_ms_per_message`: the workers' CPU (every thread) minus the CPU spent inside the
  memory backend's calls, per message: what Kairos itself costs.
- `ddb_requests_per_message`: DynamoDB requests of the workers and of the shared limiter.
- `modelled_lambda_per_second`: max concurrency × what one invocation sustains, each
  batch taking its CPU at the configured memory's vCPU share (1,769 MB = 1 vCPU) plus
  its waits: `ceil(batch / threads)` LINE round trips and its DynamoDB requests at
  `KAIROS_BENCH_DDB_LATENCY` (0.006 s) each; capped by the quota.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from multiprocessing.managers import BaseManager
from typing import Any

from bench.sender_worker import NOW, WorkerSpec, line_id, member_ids, work
from kairos.store.limits import LimitStore
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.fake_line import start_fake_line
from kairos_dev.local.stack import DevSecrets

QUOTA = int(os.environ.get("KAIROS_BENCH_LINE_RATE", "2000"))
MULTICAST_QUOTA = int(os.environ.get("KAIROS_BENCH_MULTICAST_RATE", "200"))
LATENCY = float(os.environ.get("KAIROS_BENCH_LINE_LATENCY", "0.04"))
DDB_LATENCY = float(os.environ.get("KAIROS_BENCH_DDB_LATENCY", "0.006"))
BACKLOG = int(os.environ.get("KAIROS_BENCH_SENDER_BACKLOG", "20000"))
VCPU_MB = 1769
"""Lambda gives one full vCPU at 1,769 MB, proportionally less below."""


class _Limits:
    """The shared counters: the production `LimitStore` on one memory table."""

    def __init__(self) -> None:
        self.backend = MemoryBackend(lambda: NOW)
        prefix = "shared"
        self.store = LimitStore(
            self.backend.create_tables(prefix)["main"], self.backend.client("dynamodb")
        )

    def take(self, endpoint: str, epoch_second: int, n: int, limit: int) -> int:
        granted: int = self.store.take(endpoint, epoch_second, n, limit)
        return granted

    def requests(self) -> int:
        return int(sum(self.backend.aws.requests().values()))


class _Manager(BaseManager):
    pass


_Manager.register("Limits", _Limits)


def configured() -> dict[str, int]:
    """The LINE sender's sizing as the stack deploys it."""
    from infra.constructs import sender

    return {
        "memory_mb": sender.MEMORY_MB,
        "batch": sender.BATCH_SIZE,
        "max_concurrency": sender.DEFAULT_MAX_CONCURRENCY["line"],
        "threads": sender.SEND_THREADS,
    }


def model(
    cpu_ms: float, ddb_per_message: float, sizing: dict[str, int], quota: int
) -> dict[str, float]:
    """Messages per second Lambda would sustain at this sizing (see the docstring)."""
    share = min(1.0, sizing["memory_mb"] / VCPU_MB)
    batch = sizing["batch"]
    cpu_s = batch * cpu_ms / 1000 / share
    waits = math.ceil(batch / sizing["threads"]) * LATENCY + batch * ddb_per_message * DDB_LATENCY
    per_invocation = batch / (cpu_s + waits)
    return {
        "modelled_invocation_per_second": round(per_invocation, 1),
        "modelled_lambda_per_second": round(
            min(quota, per_invocation * sizing["max_concurrency"]), 1
        ),
        "modelled_unbounded_per_second": round(per_invocation * sizing["max_concurrency"], 1),
        "vcpu_share": round(share, 3),
    }


def run() -> dict[str, float]:
    sizing = configured()
    workers = sizing["max_concurrency"]
    per_worker = max(sizing["batch"], BACKLOG // workers)
    fake = start_fake_line(
        rate=QUOTA,
        multicast_rate=MULTICAST_QUOTA,
        token=DevSecrets.from_env().line_channel_token,
        latency=LATENCY,
    )
    manager = _Manager()
    manager.start()
    try:
        limits: Any = manager.Limits()  # type: ignore[attr-defined]
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        start_at = time.time() + 15  # every worker seeded and imported by then
        processes = [
            context.Process(
                target=work,
                args=(
                    WorkerSpec(
                        index=i,
                        members=per_worker,
                        batch=sizing["batch"],
                        rate=QUOTA,
                        threads=sizing["threads"],
                        line_url=fake.url,
                        start_at=start_at,
                        deadline=start_at + 600,
                    ),
                    limits,
                    out,
                ),
            )
            for i in range(workers)
        ]
        for process in processes:
            process.start()
        reports = [out.get(timeout=900) for _ in processes]
        for process in processes:
            process.join()
        limiter_requests = limits.requests()
    finally:
        manager.shutdown()
        fake.stop()
    pushes = [r.time for r in fake.requests if r.endpoint == "push"]
    busy = int(max(pushes)) - int(min(pushes)) + 1 if pushes else 1
    per_user = fake.recipients()
    expected = {line_id(m) for i in range(workers) for m in member_ids(i, per_worker)}
    messages = sum(r["messages"] for r in reports)
    kairos_cpu = sum(r["cpu_s"] - r["backend_cpu_s"] for r in reports)
    ddb = sum(r["ddb_requests"] for r in reports) + limiter_requests
    cpu_ms = 1000 * kairos_cpu / max(1, messages)
    ddb_per_message = ddb / max(1, messages)
    figures: dict[str, float] = {
        "quota_per_second": float(QUOTA),
        "multicast_quota_per_second": float(MULTICAST_QUOTA),
        "backlog": float(per_worker * workers),
        "workers": float(workers),
        "line_latency_ms": LATENCY * 1000,
        "rate_ratio": round(len(pushes) / busy / QUOTA, 3),
        "achieved_per_second": round(len(pushes) / busy, 1),
        "windows_over_quota": float(fake.windows_over(QUOTA, "push")),
        "duplicates": float(sum(1 for n in per_user.values() if n > 1)),
        "lost": float(len(expected - set(per_user))),
        "line_429": float(fake.refused[429]),
        "cpu_ms_per_message": round(cpu_ms, 3),
        "cpu_ms_per_message_with_backend": round(
            1000 * sum(r["cpu_s"] for r in reports) / max(1, messages), 3
        ),
        "ddb_requests_per_message": round(ddb_per_message, 3),
        "memory_mb": float(sizing["memory_mb"]),
        "batch_size": float(sizing["batch"]),
        "max_concurrency": float(sizing["max_concurrency"]),
        "send_threads": float(sizing["threads"]),
    }
    figures.update(model(cpu_ms, ddb_per_message, sizing, QUOTA))
    return figures


TARGETS: dict[str, tuple[str, float]] = {
    "rate_ratio": (">=", 0.95),
    "windows_over_quota": ("==", 0),
    "duplicates": ("==", 0),
    "lost": ("==", 0),
    "cpu_ms_per_message": ("<=", 2),
    "ddb_requests_per_message": ("<=", 1),
    "modelled_lambda_per_second": (">=", 2000),
}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
