"""Shared builders for test inputs: LINE webhook bodies, shop orders, canonical events,
and signed requests through the real webhook handler."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kairos.aws import Boto3Clients
from kairos.ingest.signatures import sign_kairos, sign_line, sign_shopify
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.functions import FunctionHost, load_function
from kairos_dev.local.stack import LocalStack

NOW_MS = 1_772_330_400_000  # 2026-03-01T10:00:00+08:00


def line_event(
    kind: str, user_id: str, event_id: str, ts: int = NOW_MS, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": ts,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in ("follow", "message", "postback"):
        event["replyToken"] = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    event.update(extra)
    return event


def line_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Uxxxxxxxx", "events": list(events)}).encode()


def follow(
    user_id: str, event_id: str, unblocked: bool = False, ts: int = NOW_MS
) -> dict[str, Any]:
    return line_event("follow", user_id, event_id, ts, follow={"isUnblocked": unblocked})


def text_message(user_id: str, event_id: str, text: str, ts: int = NOW_MS) -> dict[str, Any]:
    return line_event(
        "message", user_id, event_id, ts,
        message={"id": "468789577898262530", "type": "text", "quoteToken": "q", "text": text},
    )  # fmt: skip


def postback(user_id: str, event_id: str, data: str, ts: int = NOW_MS) -> dict[str, Any]:
    return line_event("postback", user_id, event_id, ts, postback={"data": data})


def shop_order(
    order_id: str, customer: dict[str, str], total: float = 1280, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "created_at": "2026-03-01T10:00:00+08:00",
        "customer": customer,
        "total": total,
        "currency": "TWD",
        "items": [
            {
                "sku": "MAT-QUEEN",
                "name": "獨立筒床墊",
                "category": "mattress",
                "qty": 1,
                "price": total,
            }
        ],
    }
    body.update(extra)
    return body


def canonical(
    event_id: str,
    kind: str,
    member: dict[str, str],
    data: dict[str, Any] | None = None,
    time: str = "2026-03-01T10:00:00+08:00",
) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "time": time, "member": member, "data": data or {}}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


class WebhookClient:
    """Signed requests to the real webhook handler, as API Gateway would deliver them."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.module = load_function("webhook", fresh=True)
        self.host = FunctionHost(Boto3Clients(), stack.environ())

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None, now_ms: int = NOW_MS
    ) -> Answer:
        event = proxy_event("POST", path, headers or {}, body, now_ms)
        result = self.host.invoke("webhook", event)
        text = result.get("body") or ""
        try:
            payload = json.loads(text) if text else {}
        except json.JSONDecodeError:
            payload = {"raw": text}
        return Answer(status=int(result["statusCode"]), body=payload)

    def get(self, path: str, now_ms: int = NOW_MS) -> tuple[int, dict[str, str], str]:
        """A plain GET (tracked links): status, headers and raw body."""
        event = proxy_event("GET", path, {}, b"", now_ms)
        result = self.host.invoke("webhook", event)
        headers = {k: v[0] for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        return int(result["statusCode"]), headers, result.get("body") or ""

    def line(self, body: bytes) -> Answer:
        signature = sign_line(body, self.stack.secrets.line_channel_secret)
        return self.post("/line/webhook", body, {"X-Line-Signature": signature})

    def events(self, payload: Any) -> Answer:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return self.post(
            "/events",
            body,
            {"X-Kairos-Signature": sign_kairos(body, self.stack.secrets.webhook_secret)},
        )

    def order(self, payload: dict[str, Any]) -> Answer:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return self.post(
            "/shop/orders",
            body,
            {"X-Kairos-Signature": sign_kairos(body, self.stack.secrets.webhook_secret)},
        )

    def shopify(self, payload: dict[str, Any]) -> Answer:
        body = json.dumps(payload).encode()
        return self.post(
            "/shop/orders",
            body,
            {"X-Shopify-Hmac-Sha256": sign_shopify(body, self.stack.secrets.webhook_secret)},
        )
