from __future__ import annotations

import json

import pytest

from kairos.ingest.errors import InvalidBody
from kairos.ingest.shop import parse_generic_order, parse_shopify_order
from tests.builders import shop_order


def test_generic_order_becomes_order_created_keyed_by_order_id() -> None:
    event = parse_generic_order(json.dumps(shop_order("A1001", {"external_id": "c-42"})).encode())
    assert (event.id, event.type) == ("order-shop-A1001", "order.created")
    assert event.data["items"][0] == {
        "sku": "MAT-QUEEN",
        "name": "獨立筒床墊",
        "category": "mattress",
        "qty": 1,
        "price": 1280.0,
    }


def test_generic_cancellation() -> None:
    body = shop_order("A1001", {"external_id": "c-42"}, status="cancelled")
    event = parse_generic_order(json.dumps(body).encode())
    assert (event.id, event.type, event.data) == (
        "order-shop-A1001-cancelled",
        "order.cancelled",
        {"order_id": "A1001"},
    )


def test_shopify_order_maps_customer_and_lines() -> None:
    body = {
        "id": 1, "created_at": "2026-03-02T12:00:00+08:00", "total_price": "100.00",
        "phone": "+886912345678", "customer": {"id": 7},
        "line_items": [{"variant_id": 99, "title": "Tea", "quantity": 2, "price": "50.00"}],
    }  # fmt: skip
    event = parse_shopify_order(json.dumps(body).encode())
    assert event.member.identifiers() == {"external_id": "shopify-7", "phone": "+886912345678"}
    assert event.data["items"] == [{"sku": "variant-99", "name": "Tea", "qty": 2, "price": 50.0}]


def test_shopify_order_without_any_customer_identifier_is_refused() -> None:
    body = {"id": 1, "created_at": "2026-03-02T12:00:00+08:00", "total_price": "1"}
    with pytest.raises(InvalidBody, match="customer"):
        parse_shopify_order(json.dumps(body).encode())
