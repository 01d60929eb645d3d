from __future__ import annotations

import json

import pytest

from kairos.ingest.errors import InvalidBody
from kairos.ingest.shop import parse_generic_order, parse_shopify_order
from tests.builders import shop_order


def test_generic_order_becomes_order_created_keyed_by_order_id() -> None:
    event = parse_generic_order(json.dumps(shop_order("A1001", {"external_id": "c-42"})).encode())
    assert (event.id, event.type) == ("shop:shop:A1001", "order.created")
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
        "shop:shop:A1001:cancelled",
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


def _shopify(**extra: object) -> bytes:
    body = {"id": 5, "created_at": "2026-03-02T12:00:00+08:00", "total_price": "10.00",
            "customer": {"id": 7, "first_name": "美", "last_name": "王"}}  # fmt: skip
    body.update(extra)
    return json.dumps(body).encode()


def test_shopify_order_ids_are_namespaced_by_shop() -> None:
    event = parse_shopify_order(_shopify(), "tea.myshopify.com")
    assert event.id == "shopify:tea.myshopify.com:5"


@pytest.mark.parametrize(
    ("line", "sku"),
    [
        ({"sku": "TEA-1", "variant_id": 9, "title": "Tea"}, "TEA-1"),
        ({"sku": "", "variant_id": 9, "product_id": 3, "title": "Tea"}, "variant-9"),
        ({"sku": None, "product_id": 3, "title": "Tea"}, "product-3"),
        ({"title": "Oolong Tea, 500g"}, "title-oolong-tea-500g"),
        ({}, "title-item"),
    ],
)
def test_shopify_sku_falls_back_to_variant_product_then_title(
    line: dict[str, object], sku: str
) -> None:
    event = parse_shopify_order(_shopify(line_items=[line]))
    assert event.data["items"][0]["sku"] == sku


def test_shopify_customer_name_is_carried() -> None:
    assert parse_shopify_order(_shopify()).data["customer_name"] == "王 美"


def test_shopify_unusable_phone_is_dropped_with_a_note_and_the_order_kept() -> None:
    event = parse_shopify_order(_shopify(phone="call me maybe"))
    assert event.member.identifiers() == {"external_id": "shopify-7"}
    assert event.data["notes"] == [
        "customer phone dropped: phone must be E.164, e.g. +886912345678"
    ]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"total_price": "Infinity"}, "total_price"),
        ({"total_price": "1e309"}, "total_price"),
        ({"created_at": "9999-12-31T00:00:00+00:00"}, "between 1970 and 2100"),
    ],
)
def test_shopify_limits(extra: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidBody, match=fragment):
        parse_shopify_order(_shopify(**extra))
