"""`POST /events` as a whole request, through the real webhook handler on the memory
backend: for any body mixing valid and invalid events the webhook answers, a refused
request (4xx) leaves the table exactly as it was, and an accepted one (2xx) applies each
event exactly once — also when the same body is delivered again."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kairos.clock import from_epoch_ms
from kairos.ingest.signatures import sign_kairos
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import LocalStack, create_local_stack
from tests.builders import NOW_MS

NOW: datetime = from_epoch_ms(NOW_MS)
TIME = "2026-03-01T10:00:00+08:00"
WHO = [
    {"line_user_id": "U-a"},
    {"email": "bea@example.com"},
    {"phone": "+886912000003", "external_id": "c-3"},
    {"line_user_id": "U-d", "email": "dee@example.com"},
]


def _valid(n: int, who: dict[str, str], kind: str) -> dict[str, Any]:
    by_kind: dict[str, dict[str, Any]] = {
        "tag.added": {"tag": f"t{n}"},
        "line.follow": {},
        "profile.updated": {"name": f"N{n}", "region": "north"},
        "order.created": {"order_id": f"o{n}", "total": 100 + n, "items": [{"sku": "A", "qty": 1}]},
        "appointment.completed": {"room": n},
    }
    data = by_kind[kind]
    return {"id": f"e{n}", "type": kind, "time": TIME, "member": who, "data": data}


def _break(event: dict[str, Any], how: str) -> dict[str, Any]:
    """One way a real client gets an event wrong (each a 400 naming the problem)."""
    broken: dict[str, Any] = json.loads(json.dumps(event))
    if how == "no id":
        del broken["id"]
    elif how == "time without offset":
        broken["time"] = "2026-03-01T10:00:00"
    elif how == "year 9999":
        broken["time"] = "9999-12-31T23:59:59+08:00"
    elif how == "no member":
        broken["member"] = {}
    elif how == "bad email":
        broken["member"] = {"email": "not-an-email"}
    elif how == "control character":
        broken["member"] = {"external_id": "c\x00-1"}
    elif how == "reserved field":
        broken["type"], broken["data"] = "profile.updated", {"unsubscribed": {"email": False}}
    elif how == "bad type":
        broken["type"] = "Not A Type!"
    elif how == "infinite total":
        broken["type"] = "order.created"
        broken["data"] = {"order_id": "ox", "total": float("inf"), "items": []}
    elif how == "deep data":
        deep: Any = 1
        for _ in range(200):
            deep = {"x": deep}
        broken["data"] = {"deep": deep}
    return broken


BREAKS = st.sampled_from(
    ["no id", "time without offset", "year 9999", "no member", "bad email",
     "control character", "reserved field", "bad type", "infinite total", "deep data"]
)  # fmt: skip
KINDS = st.sampled_from(
    ["tag.added", "line.follow", "profile.updated", "order.created", "appointment.completed"]
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[list[tuple[dict[str, Any], bool]], bool]:
    """Events with whether each is valid (some broken, ids possibly repeated), and
    whether the body is an array."""
    count = draw(st.integers(1, 6))
    events = []
    for n in range(count):
        # A repeated id is a retry of the same event: it must count once.
        number = draw(st.integers(0, n)) if n and draw(st.booleans()) else n
        event = _valid(number, draw(st.sampled_from(WHO)), draw(KINDS))
        broken = draw(st.integers(0, 4)) == 0
        events.append((_break(event, draw(BREAKS)) if broken else event, not broken))
    return events, count > 1 or draw(st.booleans())


def _table(stack: LocalStack) -> str:
    """The main table's content, in a stable order, as text to compare."""
    client = stack.client("dynamodb")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": stack.tables["main"]}
    while True:
        page = client.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return json.dumps(sorted(items, key=lambda i: json.dumps(i, sort_keys=True)), sort_keys=True)


def _post(host: FunctionHost, stack: LocalStack, body: bytes) -> tuple[int, dict[str, Any]]:
    headers = {"X-Kairos-Signature": sign_kairos(body, stack.secrets.webhook_secret)}
    result = host.invoke("webhook", proxy_event("POST", "/events", headers, body, NOW_MS))
    return int(result["statusCode"]), json.loads(result.get("body") or "{}")


def _markers(stack: LocalStack) -> list[str]:
    table = json.loads(_table(stack))
    return sorted(i["pk"]["S"] for i in table if i["sk"]["S"] == "EVENT")


def _timeline_event_ids(stack: LocalStack) -> list[str]:
    table = json.loads(_table(stack))
    return sorted(i["entry_id"]["S"] for i in table if i["sk"]["S"].startswith("TL#"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_a_request_is_answered_and_applied_all_or_nothing_exactly_once(
    drawn: tuple[list[tuple[dict[str, Any], bool]], bool],
) -> None:
    marked, as_array = drawn
    marked = marked if as_array else marked[:1]
    sent = [event for event, _ in marked]
    valid = [event for event, ok in marked if ok]
    backend = MemoryBackend(lambda: NOW)
    stack = create_local_stack(backend, prefix="prop")
    host = FunctionHost(backend.aws, stack.environ())
    # A member that exists already: a refused request must not touch it either.
    seed = json.dumps(_valid(999, WHO[0], "tag.added")).encode()
    assert _post(host, stack, seed)[0] == 200
    before = _table(stack)

    body = json.dumps(sent if as_array else sent[0]).encode()
    status, answer = _post(host, stack, body)

    assert status in (200, 400), answer  # always an answer, never a 5xx
    if status == 400:
        assert len(valid) < len(sent), "every event was valid, yet the request was refused"
        # Each problem named (an unparseable body, e.g. `Infinity`, is one error).
        assert answer.get("problems") or answer["error"], answer
        assert _table(stack) == before
        return
    assert len(valid) == len(sent), "an invalid event was accepted"
    ids = sorted({e["id"] for e in sent})
    assert answer["received"] == len(sent)
    assert answer["applied"] == len(ids) and answer["duplicates"] == len(sent) - len(ids)
    # Each distinct event once: one marker, one timeline entry (and the seed's).
    assert _markers(stack) == sorted(f"EVENT#kairos:{i}" for i in [*ids, "e999"])
    assert _timeline_event_ids(stack) == sorted([*ids, "e999"])
    # Delivered again (a client's retry): nothing more is applied.
    after = _table(stack)
    status, again = _post(host, stack, body)
    assert status == 200 and again["applied"] == 0 and again["duplicates"] == len(sent)
    assert _table(stack) == after
