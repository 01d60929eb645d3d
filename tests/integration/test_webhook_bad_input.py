"""Bad input gets the right status, names the problem, and leaves the table unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairos.ingest.signatures import sign_kairos, sign_line
from kairos_dev.local.stack import LocalStack
from tests.builders import WebhookClient, canonical, follow, line_body, shop_order


def table_items(stack: LocalStack) -> list[dict[str, Any]]:
    # A scan is fine here: it is a test's look at the whole (tiny) table.
    client = stack.client("dynamodb")
    return list(client.scan(TableName=stack.tables["main"])["Items"])


def kairos_headers(stack: LocalStack, body: bytes) -> dict[str, str]:
    return {"X-Kairos-Signature": sign_kairos(body, stack.secrets.webhook_secret)}


GOOD_EVENT = canonical("e-1", "tag.added", {"email": "amy@example.com"}, {"tag": "vip"})


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


CASES: list[tuple[str, str, bytes, str, int, str]] = [
    # (case, path, body, signing, status, message fragment)
    ("missing signature", "/events", _json(GOOD_EVENT), "none", 401, "missing X-Kairos-Signature"),
    ("wrong signature", "/events", _json(GOOD_EVENT), "wrong", 401, "does not match"),
    ("line wrong signature", "/line/webhook", line_body(follow("U1", "x")), "wrong-line", 401, "X-Line-Signature"),
    ("malformed json", "/events", b'{"id": "e-1", ', "kairos", 400, "not JSON"),
    ("non utf-8", "/events", "{\"id\": \"é\"}".encode("latin-1"), "kairos", 400, "not UTF-8"),
    ("missing field", "/events", _json({k: v for k, v in GOOD_EVENT.items() if k != "time"}), "kairos", 400, "time: Field required"),
    ("wrong type", "/events", _json({**GOOD_EVENT, "time": 12}), "kairos", 400, "time"),
    ("naive time", "/events", _json({**GOOD_EVENT, "time": "2026-03-01T10:00:00"}), "kairos", 400, "timezone"),
    ("unknown identifier", "/events", _json({**GOOD_EVENT, "member": {"wechat_id": "w1"}}), "kairos", 400, "member.wechat_id"),
    ("no identifier", "/events", _json({**GOOD_EVENT, "member": {}}), "kairos", 400, "at least one"),
    ("bad email", "/events", _json({**GOOD_EVENT, "member": {"email": "not-an-email"}}), "kairos", 400, "member.email"),
    ("unknown type", "/events", _json({**GOOD_EVENT, "type": "Order Created"}), "kairos", 400, "unknown event type"),
    ("typed data", "/events", _json(canonical("e-2", "order.created", {"email": "a@b.co"}, {"order_id": "1"})), "kairos", 400, "data.total"),
    ("bad batch item", "/events", _json([GOOD_EVENT, {**GOOD_EVENT, "id": ""}]), "kairos", 400, "[1].id"),
    ("too many", "/events", _json([GOOD_EVENT] * 101), "kairos", 400, "at most 100"),
    ("order missing customer", "/shop/orders", _json({k: v for k, v in shop_order("A", {"email": "a@b.co"}).items() if k != "customer"}), "kairos", 400, "customer"),
    ("order negative total", "/shop/orders", _json(shop_order("A", {"email": "a@b.co"}, total=-1)), "kairos", 400, "total"),
    ("line no events", "/line/webhook", _json({"destination": "U"}), "line", 400, "events"),
    ("line bad event", "/line/webhook", _json({"events": [{"type": "follow"}]}), "line", 400, "events[0]"),
    ("oversized", "/events", b"[" + b" " * (1024 * 1024 + 10) + b"]", "kairos", 413, "limit"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "body", "signing", "status", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_and_nothing_is_written(
    webhook: WebhookClient, stack: LocalStack,
    case: str, path: str, body: bytes, signing: str, status: int, fragment: str,
) -> None:  # fmt: skip
    headers: dict[str, str] = {}
    if signing == "kairos":
        headers = kairos_headers(stack, body)
    elif signing == "wrong":
        headers = {"X-Kairos-Signature": "sha256=" + "0" * 64}
    elif signing == "line":
        headers = {"X-Line-Signature": sign_line(body, stack.secrets.line_channel_secret)}
    elif signing == "wrong-line":
        headers = {"X-Line-Signature": sign_line(body, "another-secret")}

    answer = webhook.post(path, body, headers)

    assert answer.status == status, answer.body
    assert fragment in answer.body["error"]
    assert table_items(stack) == []


def test_a_good_request_after_bad_ones_still_works(
    webhook: WebhookClient, stack: LocalStack
) -> None:
    webhook.post("/events", _json(GOOD_EVENT), {})
    assert webhook.events(GOOD_EVENT).status == 200
    assert len(table_items(stack)) > 0
