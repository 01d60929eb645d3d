"""Ingest benchmark: signed webhook requests through the real handler on the memory
backend, in one process (what Kairos costs, not the emulator).

Figures: `events_per_s`, `ddb_requests_per_event` (every DynamoDB call the handler
makes, counted by the backend), `write_units_per_event` and `read_units_per_event`
(DynamoDB's sizing rules: 1 KB per write unit, transactions twice, 4 KB per read unit).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

from kairos.clock import FixedClock
from kairos.ingest.signatures import sign_kairos, sign_line
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import create_local_stack

EVENTS = int(os.environ.get("KAIROS_BENCH_INGEST_EVENTS", "600"))
T0 = 1_772_326_800_000


def _requests(n: int) -> list[tuple[str, bytes, str]]:
    """A realistic mix: LINE follows and messages, orders, profile updates, tags."""
    out: list[tuple[str, bytes, str]] = []
    for i in range(n):
        member = i % max(1, n // 4)
        kind = i % 4
        if kind == 0:
            body = json.dumps({"destination": "U", "events": [{
                "type": "follow", "mode": "active", "timestamp": T0 + i * 1000,
                "source": {"type": "user", "userId": f"U-bench-{member}"},
                "webhookEventId": f"bench-{i}", "deliveryContext": {"isRedelivery": False},
                "replyToken": "r", "follow": {"isUnblocked": False}}]}).encode()  # fmt: skip
            out.append(("/line/webhook", body, "line"))
            continue
        if kind == 1:
            payload: dict[str, Any] = {
                "order_id": f"B{i}", "created_at": "2026-03-01T10:00:00+08:00",
                "customer": {"line_user_id": f"U-bench-{member}",
                             "email": f"m{member}@example.com"},
                "total": 1280,
                "items": [{"sku": "MAT-QUEEN", "category": "mattress", "qty": 1, "price": 1280}],
            }  # fmt: skip
            out.append(("/shop/orders", json.dumps(payload).encode(), "kairos"))
            continue
        event = {"id": f"bench-{i}", "time": "2026-03-01T10:00:00+08:00",
                 "member": {"line_user_id": f"U-bench-{member}"}}  # fmt: skip
        if kind == 2:
            event |= {
                "type": "profile.updated",
                "data": {"name": f"會員{member}", "gender": "female"},
            }
        else:
            event |= {"type": "tag.added", "data": {"tag": f"t{i % 7}"}}
        out.append(("/events", json.dumps(event, ensure_ascii=False).encode(), "kairos"))
    return out


def run() -> dict[str, float]:
    """The real webhook handler, wired to the memory backend (the Kairos cost), counting
    the DynamoDB requests and capacity units the backend answered."""
    clock = FixedClock(datetime.fromtimestamp(T0 / 1000, tz=UTC))
    backend = MemoryBackend(clock)
    stack = create_local_stack(backend, prefix="bench")
    host = FunctionHost(backend.aws, stack.environ())
    signed = []
    for path, body, scheme in _requests(EVENTS):
        if scheme == "line":
            headers = {"X-Line-Signature": sign_line(body, stack.secrets.line_channel_secret)}
        else:
            headers = {"X-Kairos-Signature": sign_kairos(body, stack.secrets.webhook_secret)}
        signed.append(proxy_event("POST", path, headers, body, T0))
    host.invoke("webhook", signed[0])  # warm: secrets cached, services built
    dynamodb = backend.aws.dynamodb
    dynamodb.metering = True
    requests_before = sum(dynamodb.requests.values())
    units_before = dict(dynamodb.units)
    started = time.perf_counter()
    for event in signed[1:]:
        answer = host.invoke("webhook", event)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"bench request refused: {answer['body']}")
    elapsed = time.perf_counter() - started
    n = len(signed) - 1
    return {
        "events_per_s": round(n / elapsed, 1),
        "ddb_requests_per_event": round((sum(dynamodb.requests.values()) - requests_before) / n, 3),
        "write_units_per_event": round((dynamodb.units["write"] - units_before["write"]) / n, 3),
        "read_units_per_event": round((dynamodb.units["read"] - units_before["read"]) / n, 3),
    }
