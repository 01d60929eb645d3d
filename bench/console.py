"""Console benchmark: what staff wait for in the members pages, through the real webhook
handler on the memory backend (in process), as API Gateway delivers a console request
after its Cognito authorizer (claims in `requestContext.authorizer.claims`).

Figures (p95 over many requests, each a whole handler invocation):
- `lookup_identifier_p95_ms`: `GET members?q=` with a phone as people write it
  (`0912-345-678`), an email, a LINE user id, a member id, at `MEMBERS` members;
- `lookup_name_prefix_p95_ms`: `GET members?q=` with a surname (`陳`: one member in ten),
  two characters, a whole name, a Latin display name, a page of 50 rows;
- `member_page_p95_ms`: `GET members/{id}` of a member with a 1,000-entry history.
The members are written straight through the store (profile, aliases, name and joined
entries: the items ingest writes), not ingested one by one: minutes saved, same items.
The loaded table is then frozen out of the garbage collector (it is DynamoDB's heap,
not the function's).
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kairos.clock import FixedClock
from kairos.models.member import Member, Stats
from kairos.store import keys
from kairos.store.batch import batch_write
from kairos.store.codec import to_item
from kairos.store.search_index import entry_keys
from kairos.store.timeline import timeline_item
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import create_local_stack

MEMBERS = int(os.environ.get("KAIROS_BENCH_CONSOLE_MEMBERS", "100000"))
LOOKUPS = int(os.environ.get("KAIROS_BENCH_CONSOLE_LOOKUPS", "400"))
HISTORY = 1000
PAGE_VIEWS = int(os.environ.get("KAIROS_BENCH_CONSOLE_PAGE_VIEWS", "100"))
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
STAFF = {"cognito:username": "bench", "email": "bench@brand.example", "cognito:groups": "staff"}

TARGETS = {
    "lookup_identifier_p95_ms": ("<=", 50.0),
    "lookup_name_prefix_p95_ms": ("<=", 50.0),
    "member_page_p95_ms": ("<=", 100.0),
}

SURNAMES = (
    "陳" * 11
    + "林" * 8
    + "黃" * 6
    + "張" * 5
    + "李" * 5
    + "王" * 4
    + "吳" * 4
    + "劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
)
"""Surnames about as common as in Taiwan: one member in ten is a 陳."""
GIVEN = "小美志明雅婷家豪怡君俊傑淑芬宗翰佳穎冠宇詩涵承恩子晴柏宏欣怡"
LATIN = ("Amy", "Mei", "Jason", "Kevin", "Vivian", "Iris", "Tony", "Peggy", "Eric", "Grace")


def _member(n: int, rng: random.Random) -> Member:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    joined = NOW - timedelta(minutes=n * 7 + rng.randrange(5))
    identifiers = {
        "line_user_id": f"U{n:032x}",
        "email": f"member{n}@example.com",
        "phone": f"+8869{n:08d}",
    }
    profile: dict[str, Any] = {**identifiers, "name": name, "joined_at": joined.isoformat()}
    if n % 3 == 0:
        profile["line_display_name"] = f"{rng.choice(LATIN)} {n % 1000}"
    orders = n % 5
    return Member(
        member_id=f"m-{n:020x}",
        profile=profile,
        identifiers=identifiers,
        tags=["vip"] if n % 17 == 0 else [],
        stats=Stats(order_count=orders, total_spent=orders * 1280),
        version=1,
        created_at=joined,
        updated_at=joined,
    )


def _items(member: Member) -> list[dict[str, Any]]:
    """What ingest leaves for a member: profile, aliases, name and joined entries."""
    values = member.model_dump(mode="json")
    values.update(pk=keys.member_pk(member.member_id), sk=keys.PROFILE_SK)
    found = [to_item(values)]
    for kind, value in member.identifiers.items():
        found.append(to_item({"pk": keys.alias_pk(kind, value), "sk": "ALIAS", "kind": kind,
                              "member_id": member.member_id}))  # fmt: skip
    for pk, sk in entry_keys(member):
        found.append(to_item({"pk": pk, "sk": sk, "member_id": member.member_id}))
    return found


def _history(member_id: str) -> list[dict[str, Any]]:
    """1,000 entries of every kind the page shows: LINE, orders, messages, opens, clicks."""
    kinds = ("line.message", "order.created", "delivery.sent", "email.opened",
             "message.clicked", "tag.added")  # fmt: skip
    entries = []
    for i in range(HISTORY):
        kind = kinds[i % len(kinds)]
        data: dict[str, Any] = {"text": f"訊息 {i}"} if kind == "line.message" else {}
        if kind == "delivery.sent":
            data = {"journey": "welcome", "step": "greet", "channel": "line", "status": "sent",
                    "delivery_id": f"d-{i}"}  # fmt: skip
        elif kind == "order.created":
            data = {"order_id": f"o-{i}", "total": 1280}
        entries.append(
            timeline_item(member_id, NOW - timedelta(hours=i), f"h-{i}", kind, data, 730)
        )
    return entries


class Console:
    def __init__(self) -> None:
        backend = MemoryBackend(FixedClock(NOW))
        self.dynamodb = backend.aws.dynamodb
        self.stack = create_local_stack(backend, prefix="bench", project_dir=str(EXAMPLES))
        self.host = FunctionHost(backend.aws, self.stack.environ())
        self.client = backend.client("dynamodb")
        self.table = self.stack.tables["main"]

    def requests(self) -> int:
        """DynamoDB requests answered so far."""
        return sum(self.dynamodb.requests.values())

    def get(self, path: str) -> tuple[float, dict[str, Any]]:
        event = proxy_event("GET", f"/console/api/{path}", {}, b"", int(NOW.timestamp() * 1000))
        event["requestContext"]["authorizer"] = {"claims": dict(STAFF)}
        started = time.perf_counter()
        answer = self.host.invoke("webhook", event)
        elapsed = (time.perf_counter() - started) * 1000
        if answer["statusCode"] != 200:
            raise RuntimeError(f"console bench: {path} answered {answer['statusCode']}")
        return elapsed, json.loads(answer["body"])

    def load(self, members: list[Member]) -> None:
        requests = [{"PutRequest": {"Item": item}} for m in members for item in _items(m)]
        batch_write(self.client, self.table, requests)
        history = [{"PutRequest": {"Item": item}} for item in _history(members[0].member_id)]
        batch_write(self.client, self.table, history)


def _p95(timings: list[float]) -> float:
    return round(statistics.quantiles(timings, n=20)[-1], 2)


def run() -> dict[str, float]:
    rng = random.Random(15)
    started = time.perf_counter()
    members = [_member(n, rng) for n in range(MEMBERS)]
    console = Console()
    console.load(members)
    load_s = time.perf_counter() - started
    # The table lives in this process only because the backend is in memory; in Lambda
    # it is DynamoDB's. Frozen, its million objects stay out of the collector's passes,
    # which would otherwise bill the backend's heap to whichever request they hit.
    gc.collect()
    gc.freeze()
    console.get("members?q=warm")  # services built, settings read
    identifier: list[float] = []
    named: list[float] = []
    requests = {"identifier": 0, "name": 0, "page": 0}
    for i in range(LOOKUPS):
        m = members[rng.randrange(MEMBERS)]
        phone = m.identifiers["phone"].removeprefix("+886")
        typed = (f"0{phone[:3]}-{phone[3:6]}-{phone[6:]}", m.identifiers["email"].upper(),
                 m.identifiers["line_user_id"], m.member_id)[i % 4]  # fmt: skip
        before = console.requests()
        elapsed, body = console.get(f"members?q={quote(typed)}")
        requests["identifier"] += console.requests() - before
        if [row["member_id"] for row in body["items"]][:1] != [m.member_id]:
            raise RuntimeError(f"console bench: {typed!r} did not find its member")
        identifier.append(elapsed)
        name = str(m.profile["name"])
        display = str(m.profile.get("line_display_name") or "amy")
        prefix = (name[:1], name[:2], name, display.split()[0])[i % 4]
        before = console.requests()
        elapsed, body = console.get(f"members?q={quote(prefix)}&limit=50")
        requests["name"] += console.requests() - before
        if not body["items"]:
            raise RuntimeError(f"console bench: {prefix!r} found nobody")
        named.append(elapsed)
    page: list[float] = []
    for _ in range(PAGE_VIEWS):
        before = console.requests()
        elapsed, body = console.get(f"members/{members[0].member_id}")
        requests["page"] += console.requests() - before
        page.append(elapsed)
    gc.unfreeze()
    return {
        "members": float(MEMBERS),
        "load_s": round(load_s, 1),
        "lookup_identifier_p95_ms": _p95(identifier),
        "lookup_identifier_median_ms": round(statistics.median(identifier), 2),
        "lookup_identifier_ddb_requests": round(requests["identifier"] / LOOKUPS, 2),
        "lookup_name_prefix_p95_ms": _p95(named),
        "lookup_name_prefix_median_ms": round(statistics.median(named), 2),
        "lookup_name_prefix_ddb_requests": round(requests["name"] / LOOKUPS, 2),
        "member_page_history_entries": float(HISTORY),
        "member_page_p95_ms": _p95(page),
        "member_page_median_ms": round(statistics.median(page), 2),
        "member_page_ddb_requests": round(requests["page"] / PAGE_VIEWS, 2),
    }
