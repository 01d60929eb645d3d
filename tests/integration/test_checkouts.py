"""Shop checkouts through the webhook: Shopify's checkouts/create and checkouts/update
(deduplicated by X-Shopify-Event-Id) and the generic route's checkout body become
`checkout.started` / `checkout.updated`; the order that completes a checkout says so."""

from __future__ import annotations

import json
from typing import Any

from kairos.ingest.signatures import sign_kairos, sign_shopify
from tests.integration.test_collect import Site

SHOP = "yuemeng.myshopify.com"


def shopify(site: Site, topic: str, payload: dict[str, Any], event_id: str) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": sign_shopify(body, site.stack.secrets.webhook_secret),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": event_id,
    }
    return site.request("POST", "/shop/orders", body, headers)


def checkout(**extra: Any) -> dict[str, Any]:
    return {
        "token": "ck-123", "created_at": "2026-03-01T10:00:00+08:00",
        "updated_at": "2026-03-01T10:05:00+08:00", "total_price": "1280.00", "currency": "TWD",
        "email": "amy@example.com", "customer": {"id": 42, "email": "amy@example.com"},
        "line_items": [{"sku": "MAT-QUEEN", "title": "床墊", "quantity": 1, "price": "1280.00"}],
        "abandoned_checkout_url": "https://shop.example/checkouts/ck-123/recover", **extra,
    }  # fmt: skip


def test_a_shopify_checkout_is_kept_once_and_completed_by_its_order() -> None:
    site = Site()
    status, _, answer = shopify(site, "checkouts/create", checkout(), "evt-1")
    assert status == 200 and answer["applied"] == 1, answer
    assert shopify(site, "checkouts/create", checkout(), "evt-1")[2]["duplicates"] == 1
    member_id = site.members.find("external_id", "shopify-42")
    assert member_id
    stored = site.member(member_id).profile["checkout"]
    assert stored["checkout_id"] == "ck-123" and stored["url"].endswith("/recover")
    assert stored["items"][0]["sku"] == "MAT-QUEEN"
    order = {
        "id": 9001, "created_at": "2026-03-01T11:00:00+08:00", "total_price": "1280.00",
        "customer": {"id": 42}, "checkout_token": "ck-123",
        "line_items": [{"sku": "MAT-QUEEN", "quantity": 1, "price": "1280.00"}],
    }  # fmt: skip
    body = json.dumps(order).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": sign_shopify(body, site.stack.secrets.webhook_secret),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": SHOP,
    }
    assert site.request("POST", "/shop/orders", body, headers)[0] == 200
    member = site.member(member_id)
    assert member.profile["checkout"]["completed_at"].startswith("2026-03-01T11:00")
    history = site.members.timeline(member_id)
    assert [e["kind"] for e in history] == ["checkout.started", "order.created"]
    assert history[1]["data"]["checkout_id"] == "ck-123"


def test_a_guest_checkout_without_a_customer_is_ignored() -> None:
    site = Site()
    payload = checkout(email=None, customer=None)
    status, _, answer = shopify(site, "checkouts/update", payload, "evt-2")
    assert status == 200 and answer["applied"] == 0


def test_the_generic_route_takes_checkouts() -> None:
    site = Site()
    body = json.dumps({
        "checkout_id": "c-77", "status": "started", "updated_at": "2026-03-01T10:00:00+08:00",
        "customer": {"email": "bo@example.com"}, "total": 990,
        "items": [{"sku": "PIL-1", "name": "枕頭", "qty": 1, "price": 990}],
        "url": "https://shop.example/cart/c-77",
    }).encode()  # fmt: skip
    signature = sign_kairos(body, site.stack.secrets.webhook_secret)
    status, _, answer = site.request(
        "POST", "/shop/orders", body, {"X-Kairos-Signature": signature}
    )
    assert status == 200, answer
    member_id = site.members.find("email", "bo@example.com")
    assert member_id
    assert site.member(member_id).profile["checkout"]["checkout_id"] == "c-77"
