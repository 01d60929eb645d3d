"""Sender benchmark on the emulator (`sender_emulator.*`): a LINE backlog drained within
quota, exactly once, through real SQS queues and tables served by moto. It measures the
whole local stack — on a laptop the emulator's ceiling, not Kairos's: bench/sender.py
measures the sender itself.

Setup: the embedded emulator (moto), the fake LINE server limited to
`KAIROS_BENCH_LINE_RATE` push requests per second (500), a backlog of
`KAIROS_BENCH_SENDER_BACKLOG` LINE sends (20,000; shrink it for a quick check) on a real
SQS queue, and two concurrent consumers. Each consumer is a process doing what Lambda's
event source mapping and one concurrent invocation do: receive a batch of
`KAIROS_BENCH_BATCH` (50) messages, invoke the real sender handler, delete what
succeeded. So the figures include SQS, the idempotency table, the shared limiter and
line-bot-sdk over HTTP.

Figures:
- `rate_ratio`: pushes LINE accepted per second over the busy period / the quota;
  `achieved_per_second` the rate itself. On a laptop the emulator (one Python process
  serving every DynamoDB and SQS request) caps this far below 500/s, so the run is
  repeated at `KAIROS_BENCH_LOW_RATE` (40/s), a quota the emulator can feed: the
  `*_at_40` figures show how much of a quota the limiter uses when the sender is not
  the bottleneck.
- `windows_over_quota`: one-second windows at the fake LINE above the quota (target 0).
- `duplicates`, `lost`: members who got more than one message / none (target 0 / 0).
- `ddb_requests_per_message`: every DynamoDB request the sender made (idempotency, batch
  reads, limiter, results, counters; counted with a botocore event hook) per message.
- `line_429`: pushes LINE refused (the limiter should keep this at 0).
- `api_calls_per_1000_push` / `api_calls_per_1000_multicast`: LINE API calls to send one
  non-personalised message to 1,000 members, without and with multicast grouping (one
  multicast per batch: larger Lambda batches mean fewer calls).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kairos.aws import Boto3Clients
from kairos.config import RuntimeConfig
from kairos.models.send_request import SendRequest
from kairos.models.settings import Channels, LineChannel, Settings
from kairos.models.template import Template
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.wiring.sender import build
from kairos_dev.local.emulator import start_emulator
from kairos_dev.local.fake_line import FakeLine, start_fake_line
from kairos_dev.local.functions import LambdaContext, load_function
from kairos_dev.local.pumps import QueuePump
from kairos_dev.local.stack import LocalStack, create_local_stack

BACKLOG = int(os.environ.get("KAIROS_BENCH_SENDER_BACKLOG", "20000"))
RATE = int(os.environ.get("KAIROS_BENCH_LINE_RATE", "500"))
BATCH = int(os.environ.get("KAIROS_BENCH_BATCH", "50"))
CONSUMERS = 2
LOW_RATE = int(os.environ.get("KAIROS_BENCH_LOW_RATE", "40"))
FEED_DEPTH = int(os.environ.get("KAIROS_BENCH_FEED_DEPTH", "120"))
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
HELLO = Template.model_validate({"id": "hello", "line": {"text": "{{ profile.name }}，早安！"}})
NEWS = Template.model_validate({"id": "news", "line": {"text": "本週新品上架！"}})


def _members(stack: LocalStack, prefix: str, count: int) -> None:
    dynamodb = stack.client("dynamodb")
    items = [
        to_item(
            {
                "pk": keys.member_pk(f"{prefix}{i}"),
                "sk": keys.PROFILE_SK,
                "member_id": f"{prefix}{i}",
                "profile": {"line_user_id": f"U{prefix}{i}", "name": f"N{i}"},
                "version": 1,
            }
        )
        for i in range(count)
    ]
    for start in range(0, len(items), 25):
        request: Any = {
            stack.tables["main"]: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
        }
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems")


def _requests(prefix: str, count: int, template: str) -> list[str]:
    return [
        SendRequest(
            delivery_id=f"d-{uuid.uuid4().hex}",
            member_id=f"{prefix}{i}",
            journey="bench",
            journey_version="1",
            step="send",
            enrolment_id=f"e-{prefix}{i}",
            template=template,
            template_version="1",
            channel="line",
            requested_at=NOW,
        ).model_dump_json()
        for i in range(count)
    ]


def _enqueue(stack: LocalStack, queue_url: str, bodies: list[str]) -> None:
    sqs = stack.client("sqs")
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
            ],
        )


def _queue(stack: LocalStack, name: str) -> str:
    dlq = stack.client("sqs").create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = stack.client("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": "10"}
    url: str = stack.client("sqs").create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": "60", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    return url


def _count_ddb(client: Any) -> Callable[[], int]:
    """Count every DynamoDB request made through `client`."""
    counted = [0]
    lock = threading.Lock()

    def count(**_: Any) -> None:
        with lock:
            counted[0] += 1

    client.meta.events.register("before-call.dynamodb", count)
    return lambda: counted[0]


def _depth(sqs: Any, queue_url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _consumer(
    queue_url: str,
    settings: Settings,
    templates: dict[str, Template],
    multicast_min: int,
    deadline: float,
    feeding: Any,
    results: Any,
) -> None:
    """One consumer process: what Lambda's poller and one concurrent invocation do."""
    import boto3

    handler = load_function("sender", fresh=True)
    aws = Boto3Clients()
    # Every table request of the sender (stores, limiter, idempotency) goes through it.
    ddb_requests = _count_ddb(aws.client("dynamodb"))
    services = build(
        RuntimeConfig.from_env(),
        aws,
        settings=settings,
        templates=templates,
        clock=lambda: NOW,
        multicast_min=multicast_min,
    )
    sqs = boto3.client("sqs")

    def invoke(event: dict[str, Any]) -> Any:
        return handler.handle(event, LambdaContext(function_name="kairos-sender"), services)

    pump = QueuePump(sqs, queue_url, invoke, batch_size=BATCH)
    while time.time() < deadline:
        if pump.pump_once():
            continue
        if not feeding.is_set() and _depth(sqs, queue_url) == 0:
            break
        time.sleep(0.2)
    results.put(ddb_requests())


def _drain(
    stack: LocalStack,
    queue_url: str,
    backlog: list[str],
    templates: dict[str, Template],
    multicast_min: int = 2,
    timeout: float = 1800,
    settings: Settings | None = None,
) -> int:
    """Two consumer processes drain the queue while a feeder moves the backlog onto
    it; returns the DynamoDB requests the consumers made.

    Processes, not threads: the emulator, the fake LINE server and two senders do not
    fit one interpreter lock, and Lambda runs concurrent invocations apart anyway. The
    feeder keeps at most FEED_DEPTH messages on the moto queue: moto's ReceiveMessage
    scans every message of a queue, so a 20,000-deep moto queue would measure the
    emulator, not the sender (SQS receives in constant time at any depth)."""
    context = multiprocessing.get_context("fork")
    feeding = context.Event()
    feeding.set()
    results = context.Queue()
    deadline = time.time() + timeout
    consumers = [
        context.Process(
            target=_consumer,
            args=(
                queue_url,
                settings or Settings(channels=Channels(line=LineChannel(rate_per_second=RATE))),
                templates,
                multicast_min,
                deadline,
                feeding,
                results,
            ),
        )
        for _ in range(CONSUMERS)
    ]
    for process in consumers:
        process.start()
    sqs = stack.client("sqs")
    pending = deque(backlog)
    while pending and time.time() < deadline:
        if _depth(sqs, queue_url) < FEED_DEPTH:
            chunk = [pending.popleft() for _ in range(min(len(pending), FEED_DEPTH // 2))]
            _enqueue(stack, queue_url, chunk)
        else:
            time.sleep(0.1)
    feeding.clear()
    total = sum(int(results.get(timeout=max(1.0, deadline - time.time() + 30))) for _ in consumers)
    for process in consumers:
        process.join()
    return total


def _line_calls(stack: LocalStack, fake: FakeLine, multicast: bool) -> int:
    """LINE API calls to send one non-personalised message to 1,000 members."""
    prefix = f"n{'m' if multicast else 'p'}"
    _members(stack, prefix, 1000)
    queue_url = _queue(stack, f"{stack.prefix}-{prefix}")
    before = len(fake.requests)
    _drain(
        stack,
        queue_url,
        _requests(prefix, 1000, "news"),
        {"news": NEWS},
        multicast_min=2 if multicast else 10**9,
        timeout=300,
    )
    return len(fake.requests) - before


def _backlog(
    stack: LocalStack, fake: FakeLine, rate: int, count: int, prefix: str
) -> dict[str, float]:
    """Drain `count` LINE pushes at a quota of `rate`/s; the figures of that run."""
    fake.reset()
    fake.set_rate("push", rate)
    _members(stack, prefix, count)
    queue_url = _queue(stack, f"{stack.prefix}-{prefix}")
    settings = Settings(channels=Channels(line=LineChannel(rate_per_second=rate)))
    ddb_requests = _drain(
        stack, queue_url, _requests(prefix, count, "hello"), {"hello": HELLO}, settings=settings
    )
    pushes = [r.time for r in fake.requests if r.endpoint == "push"]
    # The one-second windows from the first push's to the last's, both included.
    busy = int(max(pushes)) - int(min(pushes)) + 1 if pushes else 1
    per_user = fake.recipients()
    expected = {f"U{prefix}{i}" for i in range(count)}
    return {
        "rate_ratio": round(len(pushes) / busy / rate, 3),
        "windows_over_quota": float(fake.windows_over(rate, "push")),
        "duplicates": float(sum(1 for n in per_user.values() if n > 1)),
        "lost": float(len(expected - set(per_user))),
        "ddb_requests_per_message": round(ddb_requests / count, 3),
        "line_429": float(fake.refused[429]),
        "achieved_per_second": round(len(pushes) / busy, 1),
    }


def run() -> dict[str, float]:
    emulator = start_emulator()
    saved = dict(os.environ)
    emulator.activate()
    stack = create_local_stack(emulator, prefix=f"b{uuid.uuid4().hex[:8]}")
    fake = start_fake_line(rate=RATE, token=stack.secrets.line_channel_token)
    stack.extra_env["KAIROS_LINE_API_ENDPOINT"] = fake.url
    stack.activate()
    try:
        figures: dict[str, float] = {"backlog": float(BACKLOG), "quota_per_second": float(RATE)}
        figures.update(_backlog(stack, fake, RATE, BACKLOG, "m"))
        # The same at a quota the emulator can feed: how much of a quota the limiter uses
        # when the sender is not the bottleneck.
        low = _backlog(stack, fake, LOW_RATE, LOW_RATE * 25, "l")
        figures.update(
            {f"{k}_at_{LOW_RATE}": v for k, v in low.items() if k != "achieved_per_second"}
        )
        figures["api_calls_per_1000_push"] = float(_line_calls(stack, fake, False))
        figures["api_calls_per_1000_multicast"] = float(_line_calls(stack, fake, True))
        return figures
    finally:
        fake.stop()
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
