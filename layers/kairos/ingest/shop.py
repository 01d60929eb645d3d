"""Shop order webhooks → canonical events: Kairos' generic order body and Shopify's
`orders/create`. The order id makes both idempotent (event id `order-<source>-<id>`)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from kairos.ingest.errors import InvalidBody
from kairos.models.events import CanonicalEvent, IsoTime, MemberRef


def describe(exc: ValidationError, prefix: str = "") -> str:
    """The first validation problem as `field.path: reason` (what a 400 says)."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{prefix}{where}: {message}" if where else f"{prefix}{message}")
    return "; ".join(parts)


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidBody("body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InvalidBody(f"body is not JSON: {exc.msg} at line {exc.lineno}") from None


class ShopItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sku: str = Field(min_length=1)
    name: str | None = None
    category: str | None = None
    qty: int = Field(default=1, ge=0)
    price: float = Field(default=0, ge=0)


class ShopOrder(BaseModel):
    """The generic order body (`POST /shop/orders` with `X-Kairos-Signature`); its JSON
    Schema is in docs/webhooks.md."""

    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=128)
    status: Literal["created", "cancelled"] = "created"
    created_at: IsoTime
    customer: MemberRef
    total: float = Field(ge=0)
    currency: str = Field(default="TWD", min_length=3, max_length=3)
    items: list[ShopItem] = Field(default_factory=list)
    referred_by: MemberRef | None = None
    source: str = Field(default="shop", pattern=r"^[a-z0-9-]{1,32}$")


def parse_generic_order(body: bytes) -> CanonicalEvent:
    raw = load_json(body)
    try:
        order = ShopOrder.model_validate(raw)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from None
    if order.status == "cancelled":
        return CanonicalEvent(
            id=f"order-{order.source}-{order.order_id}-cancelled",
            type="order.cancelled",
            time=order.created_at,
            member=order.customer,
            data={"order_id": order.order_id},
        )
    data: dict[str, Any] = {
        "order_id": order.order_id,
        "total": order.total,
        "currency": order.currency,
        "items": [item.model_dump(exclude_none=True) for item in order.items],
    }
    if order.referred_by is not None:
        data["referred_by"] = order.referred_by.model_dump(exclude_none=True)
    return CanonicalEvent(
        id=f"order-{order.source}-{order.order_id}",
        type="order.created",
        time=order.created_at,
        member=order.customer,
        data=data,
    )


class ShopifyCustomer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int | str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ShopifyLineItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sku: str | None = None
    variant_id: int | str | None = None
    title: str | None = None
    quantity: int = Field(default=1, ge=0)
    price: float = Field(default=0, ge=0)
    product_type: str | None = None


class ShopifyOrder(BaseModel):
    """The fields Kairos reads from Shopify's `orders/create` payload."""

    model_config = ConfigDict(extra="ignore")
    id: int | str
    created_at: AwareDatetime
    total_price: float = Field(ge=0)
    currency: str = "TWD"
    email: str | None = None
    phone: str | None = None
    customer: ShopifyCustomer | None = None
    line_items: list[ShopifyLineItem] = Field(default_factory=list)


def parse_shopify_order(body: bytes) -> CanonicalEvent:
    raw = load_json(body)
    try:
        order = ShopifyOrder.model_validate(raw)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from None
    customer = order.customer or ShopifyCustomer()
    identifiers = {
        "external_id": f"shopify-{customer.id}" if customer.id is not None else None,
        "email": customer.email or order.email,
        "phone": customer.phone or order.phone,
    }
    try:
        member = MemberRef.model_validate({k: v for k, v in identifiers.items() if v})
    except ValidationError as exc:
        raise InvalidBody(describe(exc, prefix="customer.")) from None
    items = [
        {
            "sku": line.sku or f"variant-{line.variant_id}",
            "name": line.title,
            "category": line.product_type or None,
            "qty": line.quantity,
            "price": line.price,
        }
        for line in order.line_items
    ]
    data: dict[str, Any] = {
        "order_id": str(order.id),
        "total": order.total_price,
        "currency": order.currency,
        "items": [{k: v for k, v in item.items() if v is not None} for item in items],
    }
    name = " ".join(p for p in (customer.last_name, customer.first_name) if p)
    if name:
        data["customer_name"] = name
    return CanonicalEvent(
        id=f"order-shopify-{order.id}",
        type="order.created",
        time=order.created_at,
        member=member,
        data=data,
    )


def parse_canonical_events(body: bytes, limit: int = 100) -> list[CanonicalEvent]:
    """`POST /events`: one canonical event or a JSON array of up to `limit`."""
    raw = load_json(body)
    batch = raw if isinstance(raw, list) else [raw]
    if not batch:
        raise InvalidBody("body: an empty array has no events")
    if len(batch) > limit:
        raise InvalidBody(f"body: {len(batch)} events, at most {limit} per request")
    events: list[CanonicalEvent] = []
    for index, item in enumerate(batch):
        prefix = f"[{index}]." if isinstance(raw, list) else ""
        try:
            events.append(CanonicalEvent.model_validate(item))
        except ValidationError as exc:
            raise InvalidBody(describe(exc, prefix=prefix)) from None
    return events
