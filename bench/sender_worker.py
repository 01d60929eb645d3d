"""One sender worker of `bench/sender.py`: what one concurrent Lambda invocation of the
LINE queue's event source mapping does, in its own process.

The worker runs the real sender (`functions/sender/handler.handle` on services from
`kairos.wiring.sender.build`) on its own memory backend (tables, idempotency table and
secrets in process, like DynamoDB seen from one container), against the shared fake
LINE over HTTP, with the rate limiter's counters in the coordinator process (every
worker draws from the same `LIMIT#` windows, as every Lambda draws from one table).

SQS is not in the loop: the event source mapping's poller is not the function's cost.
Events are built the way Lambda hands them over (records with body, receipt handle,
receive count); a record the sender reports failed comes back in a later batch with
its receive count raised, as SQS would hand it back.

CPU is measured per process (`time.process_time`, every thread) minus the CPU spent
inside the memory backend's calls (the emulator, not Kairos): `kairos_cpu_s`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kairos.config import RuntimeConfig
from kairos.delivery.limiter import RateLimiter
from kairos.models.send_request import SendRequest
from kairos.models.settings import Channels, LineChannel, Settings
from kairos.models.template import Template
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.wiring.sender import build
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import LambdaContext, load_function
from kairos_dev.local.stack import create_local_stack

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
HELLO = Template.model_validate({"id": "hello", "line": {"text": "{{ profile.name }}，早安！"}})
QUEUE_ARN = "arn:aws:sqs:ap-northeast-1:123456789012:kairos-line"


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    members: int
    batch: int
    rate: int
    threads: int
    line_url: str
    start_at: float
    deadline: float


class Timed:
    """A client whose every call adds the calling thread's CPU time to `cpu[0]`."""

    def __init__(self, client: Any, cpu: list[float], lock: threading.Lock) -> None:
        self._client, self._cpu, self._lock = client, cpu, lock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return attribute(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self._cpu[0] += spent

        return call


class TimedAws:
    """`AwsClients` over the memory backend whose calls are timed (see `Timed`)."""

    def __init__(self, backend: MemoryBackend) -> None:
        self.backend = backend
        self.cpu = [0.0]
        self._lock = threading.Lock()

    def client(self, service: str, **_: Any) -> Any:
        return Timed(self.backend.client(service), self.cpu, self._lock)


class SharedCounters:
    """`ports.RateCounters` through the coordinator's proxy (one `LimitStore` on one
    memory table for every worker)."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy

    def take(self, endpoint: str, epoch_second: int, n: int, limit: int) -> int:
        return int(self.proxy.take(endpoint, epoch_second, n, limit))


def member_ids(index: int, count: int) -> list[str]:
    return [f"w{index}m{i}" for i in range(count)]


def line_id(member_id: str) -> str:
    return f"U{member_id}"


def _seed(backend: MemoryBackend, table: str, ids: list[str]) -> None:
    dynamodb = backend.client("dynamodb")
    for start in range(0, len(ids), 25):
        dynamodb.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": to_item(
                                {
                                    "pk": keys.member_pk(m),
                                    "sk": keys.PROFILE_SK,
                                    "member_id": m,
                                    "profile": {"line_user_id": line_id(m), "name": m},
                                    "version": 1,
                                }
                            )
                        }
                    }
                    for m in ids[start : start + 25]
                ]
            }
        )


def _record(body: str, n: int, receives: int) -> dict[str, Any]:
    return {
        "messageId": f"msg-{n}",
        "receiptHandle": f"rh-{n}-{receives}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receives),
            "SentTimestamp": "1772330400000",
            "SenderId": "bench",
            "ApproximateFirstReceiveTimestamp": "1772330400000",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "ap-northeast-1",
    }


class _NoRedelivery:
    """The visibility change of a returned message (SQS's business, not measured)."""

    def return_later(self, queue: str, receipt: str, delay_seconds: int) -> None:
        pass

    def send_later(self, queue: str, body: str, delay_seconds: int) -> None:
        raise NotImplementedError("the benchmark's backlog has no group messages")


def work(spec: WorkerSpec, counters: Any, out: Any) -> None:
    """The worker process's body: seed, wait for the common start, drain, report."""
    # The sender's JSON logs are still formatted (Lambda pays for that too), not kept.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    backend = MemoryBackend(lambda: NOW)
    stack = create_local_stack(backend, prefix=f"w{spec.index}")
    stack.extra_env["KAIROS_LINE_API_ENDPOINT"] = spec.line_url
    stack.activate()
    ids = member_ids(spec.index, spec.members)
    _seed(backend, stack.tables["main"], ids)
    aws = TimedAws(backend)
    settings = Settings(channels=Channels(line=LineChannel(rate_per_second=spec.rate)))
    services = build(
        RuntimeConfig.from_env(),
        aws,
        settings=settings,
        templates={"hello": HELLO},
        clock=lambda: NOW,
        concurrency=spec.threads,
    )
    shared = SharedCounters(counters)
    services.sender.new_limiter = lambda: RateLimiter(shared)
    services.sender.redelivery = _NoRedelivery()
    handler = load_function("sender", fresh=True)
    bodies = [
        SendRequest(
            delivery_id=f"d-{m}",
            member_id=m,
            journey="bench",
            journey_version="1",
            step="send",
            enrolment_id=f"e-{m}",
            template="hello",
            template_version="1",
            channel="line",
            requested_at=NOW,
        ).model_dump_json()
        for m in ids
    ]
    pending: list[tuple[int, int]] = [(n, 1) for n in range(len(bodies))]
    handle: Callable[..., Any] = handler.handle
    time.sleep(max(0.0, spec.start_at - time.time()))
    cpu0, backend0, ddb0 = time.process_time(), aws.cpu[0], _ddb(backend)
    wall0 = time.time()
    invocations = 0
    while pending and time.time() < spec.deadline:
        batch, pending = pending[: spec.batch], pending[spec.batch :]
        event = {"Records": [_record(bodies[n], n, r) for n, r in batch]}
        context = LambdaContext(function_name="kairos-sender", memory_limit_in_mb=1769)
        response = handle(event, context, services)
        invocations += 1
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        pending.extend((n, r + 1) for n, r in batch if f"msg-{n}" in failed)
    cpu = time.process_time() - cpu0
    out.put(
        {
            "index": spec.index,
            "messages": len(bodies) - len(pending),
            "unsent": len(pending),
            "cpu_s": cpu,
            "backend_cpu_s": aws.cpu[0] - backend0,
            "ddb_requests": _ddb(backend) - ddb0,
            "invocations": invocations,
            "wall_s": time.time() - wall0,
        }
    )


def _ddb(backend: MemoryBackend) -> int:
    return sum(n for op, n in backend.aws.requests().items() if op.startswith("dynamodb."))
