"""Collect benchmark: the website snippet's requests through the real webhook handler on
the memory backend, in one process (what Kairos costs, not the emulator).

A realistic visit: each visitor's snippet sends a batch of BATCH events (page and product
views, a cart update) a few times per visit, as it does when a page is hidden or every
second of browsing. Figures: `events_per_s`, `ddb_requests_per_event` (every DynamoDB
call the handler makes, counted by the backend; target ≤ 1.5), `write_units_per_event`
and `read_units_per_event` (1 KB per write unit, transactions twice, 4 KB per read
unit), `snippet_gzip_bytes` (target ≤ 8 KB).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from kairos.clock import FixedClock
from kairos.collect import snippet
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import create_local_stack

VISITORS = int(os.environ.get("KAIROS_BENCH_COLLECT_VISITORS", "150"))
REQUESTS_PER_VISIT = 4
BATCH = 5
T0 = 1_772_326_800_000
ORIGIN = "https://shop.example"
KEY = "pk_bench"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
TARGETS = {"ddb_requests_per_event": ("<=", 1.5), "snippet_gzip_bytes": ("<=", 8192)}


def _event(visitor: int, n: int, at: datetime) -> dict[str, Any]:
    sku = f"SKU-{(visitor * 7 + n) % 40}"
    kind = n % BATCH
    if kind == BATCH - 1 and n % 3 == 0:
        data: dict[str, Any] = {
            "items": [{"sku": sku, "name": "床墊", "qty": 1, "price": 1280,
                       "image": f"{ORIGIN}/i/{sku}.jpg"}],
            "total": 1280, "currency": "TWD",
        }  # fmt: skip
        return {
            "id": f"e{visitor}-{n}",
            "type": "cart.updated",
            "time": at.isoformat(),
            "data": data,
        }
    if kind % 2 == 0:
        data = {"url": f"{ORIGIN}/c/{n % 5}", "title": "床墊 | Shop", "referrer": ORIGIN}
        return {
            "id": f"e{visitor}-{n}",
            "type": "page.viewed",
            "time": at.isoformat(),
            "data": data,
        }
    data = {"sku": sku, "name": "獨立筒床墊", "category": "mattress", "price": 1280,
            "url": f"{ORIGIN}/p/{sku}", "image": f"{ORIGIN}/i/{sku}.jpg"}  # fmt: skip
    return {"id": f"e{visitor}-{n}", "type": "product.viewed", "time": at.isoformat(), "data": data}


def _requests() -> list[dict[str, Any]]:
    start = datetime.fromtimestamp(T0 / 1000, tz=UTC)
    out = []
    for visitor in range(VISITORS):
        for r in range(REQUESTS_PER_VISIT):
            at = start + timedelta(minutes=r)
            events = [_event(visitor, r * BATCH + i, at) for i in range(BATCH)]
            body = {"key": KEY, "visitor": f"anon-bench-{visitor:05d}",
                    "session": f"sess-bench-{visitor:05d}", "sentAt": at.isoformat(),
                    "events": events}  # fmt: skip
            headers = {"Origin": ORIGIN, "User-Agent": CHROME, "Content-Type": "text/plain"}
            out.append(proxy_event("POST", "/collect", headers, json.dumps(body).encode(), T0))
    return out


def run() -> dict[str, float]:
    clock = FixedClock(datetime.fromtimestamp(T0 / 1000, tz=UTC))
    backend = MemoryBackend(clock)
    stack = create_local_stack(backend, prefix="bench")
    env = {
        **stack.environ(),
        "KAIROS_COLLECT_SITES": json.dumps([{"key": KEY, "origins": [ORIGIN]}]),
    }
    host = FunctionHost(backend.aws, env)
    requests = _requests()
    host.invoke("webhook", requests[0])  # warm: secrets cached, services built
    dynamodb = backend.aws.dynamodb
    dynamodb.metering = True
    before = sum(dynamodb.requests.values())
    units = dict(dynamodb.units)
    started = time.perf_counter()
    for request in requests[1:]:
        answer = host.invoke("webhook", request)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"bench request refused: {answer['body']}")
    elapsed = time.perf_counter() - started
    n = (len(requests) - 1) * BATCH
    return {
        "events_per_s": round(n / elapsed, 1),
        "events_per_request": BATCH,
        "ddb_requests_per_event": round((sum(dynamodb.requests.values()) - before) / n, 3),
        "write_units_per_event": round((dynamodb.units["write"] - units["write"]) / n, 3),
        "read_units_per_event": round((dynamodb.units["read"] - units["read"]) / n, 3),
        "snippet_gzip_bytes": len(gzip.compress(snippet().encode(), 9)),
    }
