"""The browser tests' members, posted through the real ingest routes of a running
`kairos local` (signed LINE webhooks, shop orders and canonical events), as the
brand's platforms would send them. Some of what they send is hostile markup: the
console must show it as text."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kairos.ingest.signatures import sign_kairos, sign_line
from kairos.store.members import MemberRepository
from kairos_dev.local.console_memory import MemoryRuntime
from tests.builders import follow, line_body, text_message

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_ITEM = "<script>alert('order')</script>乳膠枕"
HOSTILE_NOTE = "<script>alert('note')</script>call back after 6pm"
HOSTILE_MESSAGE = "<script>alert('line')</script>is the mattress in stock?"


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    line_user_id: str
    phone: str | None = None
    email: str | None = None
    external_id: str | None = None

    @property
    def identifiers(self) -> dict[str, str]:
        found = {"line_user_id": self.line_user_id}
        for kind in ("phone", "email", "external_id"):
            value = getattr(self, kind)
            if value:
                found[kind] = value
        return found


XIAOMEI = Person(
    "xiaomei", "陳小美", "U" + "a1" * 16, "+886912345678", "xiaomei@example.com", "shop-001"
)
DAWEN = Person("dawen", "陳大文", "U" + "b2" * 16, "+886922000111", "dawen@example.com", "shop-002")
HOSTILE = Person("hostile", HOSTILE_NAME, "U" + "c3" * 16, "+886933000333", None, "shop-003")
ZHIMING = Person(
    "zhiming", "王志明", "U" + "d4" * 16, "+886944000444", "zhiming@example.com", "shop-004"
)
PEOPLE = (XIAOMEI, DAWEN, HOSTILE, ZHIMING)


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def seed(runtime: MemoryRuntime) -> dict[str, str]:
    """Post every person's LINE follow, profile and orders; wait until the welcome
    journey has sent each of them its first message. Their member ids by key."""
    api, secrets = runtime.url, runtime.simulation.stack.secrets
    now = runtime.now()
    now_ms = int(now.timestamp() * 1000)
    follows = [follow(p.line_user_id, f"seed-follow-{p.key}", ts=now_ms - 60_000) for p in PEOPLE]
    said = text_message(
        HOSTILE.line_user_id, "seed-message-hostile", HOSTILE_MESSAGE, now_ms - 30_000
    )
    body = line_body(*follows, said)
    _post(f"{api}/line/webhook", body, {"X-Line-Signature": sign_line(body, secrets.line_channel_secret)})  # fmt: skip
    events = [
        {"id": f"seed-profile-{p.key}", "type": "profile.updated", "time": _iso(now - timedelta(seconds=50)),
         "member": p.identifiers, "data": {"name": p.name}}
        for p in PEOPLE
    ]  # fmt: skip
    body = json.dumps(events, ensure_ascii=False).encode()
    _post(f"{api}/events", body, {"X-Kairos-Signature": sign_kairos(body, secrets.webhook_secret)})
    orders = [
        (XIAOMEI, "T-1001", [("PIL-LATEX", HOSTILE_ITEM, 1800), ("MAT-Q", "獨立筒床墊", 28800)]),
        (HOSTILE, "T-1002", [("MUG", "<b>bold</b> mug", 350)]),
        (DAWEN, "T-1003", [("TEA", "烏龍茶", 120)]),
    ]
    for person, order_id, items in orders:
        order = {
            "order_id": order_id,
            "created_at": _iso(now - timedelta(seconds=40)),
            "customer": {k: v for k, v in person.identifiers.items() if k != "line_user_id"},
            "total": sum(price for _, _, price in items),
            "currency": "TWD",
            "items": [
                {"sku": sku, "name": name, "category": "home", "qty": 1, "price": price}
                for sku, name, price in items
            ],
        }
        body = json.dumps(order, ensure_ascii=False).encode()
        _post(f"{api}/shop/orders", body, {"X-Kairos-Signature": sign_kairos(body, secrets.webhook_secret)})  # fmt: skip
    ids = member_ids(runtime)
    wait_for_kind(runtime, ids["xiaomei"], "delivery.sent")
    return ids


def repository(runtime: MemoryRuntime) -> MemberRepository:
    stack = runtime.simulation.stack
    return MemberRepository(stack.tables["main"], stack.client("dynamodb"))


def member_ids(runtime: MemoryRuntime) -> dict[str, str]:
    repo = repository(runtime)
    ids: dict[str, str] = {}
    with runtime.lock:
        for person in PEOPLE:
            found = repo.find("line_user_id", person.line_user_id)
            assert found is not None, f"seeding made no member for {person.key}"
            ids[person.key] = found
    return ids


def wait_for_kind(runtime: MemoryRuntime, member_id: str, kind: str, seconds: float = 30) -> None:
    """Until the member's timeline has an entry of `kind` (the pumps run in the background)."""
    repo = repository(runtime)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with runtime.lock:
            kinds = [e.get("kind") for e in repo.timeline(member_id)]
        if kind in kinds:
            return
        time.sleep(0.2)
    raise AssertionError(f"no {kind} for {member_id} within {seconds}s: {kinds}")
