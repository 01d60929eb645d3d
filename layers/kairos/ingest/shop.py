"""Shop order webhooks → canonical events: Kairos' generic order body and Shopify's
`orders/create`, and `POST /events`' canonical events.

Event ids are namespaced by source (docs/events.md): `shop:<source>:<order id>` for the
generic body, `shopify:<shop domain>:<order id>` for Shopify, so the same number from
two platforms never collides; a cancellation adds `:cancelled`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kairos.ingest.body import load_json, problems, size_problem
from kairos.ingest.errors import InvalidBody, Problem
from kairos.models.events import CanonicalEvent, IsoTime, MemberRef, email_address, phone_number


def describe(exc: ValidationError, prefix: str = "") -> str:
    """The validation problems as `field.path: reason` (what a 400 says)."""
    return "; ".join(str(p) for p in problems(exc, prefix=prefix)[:3])


def _refuse(exc: ValidationError, index: int | None = None, prefix: str = "") -> InvalidBody:
    return InvalidBody.of(problems(exc, index, prefix))


class ShopItem(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    sku: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=512)
    category: str | None = Field(default=None, max_length=128)
    qty: int = Field(default=1, ge=0, le=1_000_000)
    price: float = Field(default=0, ge=0)


class ShopOrder(BaseModel):
    """The generic order body (`POST /shop/orders` with `X-Kairos-Signature`); its JSON
    Schema is in docs/webhooks.md."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    order_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    status: Literal["created", "cancelled"] = "created"
    created_at: IsoTime
    customer: MemberRef
    total: float = Field(ge=0)
    currency: str = Field(default="TWD", min_length=3, max_length=3)
    items: list[ShopItem] = Field(default_factory=list, max_length=500)
    referred_by: MemberRef | None = None
    source: str = Field(default="shop", pattern=r"^[a-z0-9-]{1,32}$")
    checkout_id: str | None = Field(default=None, max_length=128)
    """The checkout this order completes (docs/tracking.md)."""


def parse_generic_order(body: bytes) -> CanonicalEvent:
    raw = load_json(body)
    if (too_big := size_problem(None, raw)) is not None:
        raise InvalidBody.of([too_big])
    try:
        order = ShopOrder.model_validate(raw)
    except ValidationError as exc:
        raise _refuse(exc) from None
    key = f"shop:{order.source}:{order.order_id}"
    if order.status == "cancelled":
        return CanonicalEvent(
            id=f"{key}:cancelled",
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
    if order.checkout_id:
        data["checkout_id"] = order.checkout_id
    return CanonicalEvent(
        id=key,
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
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)


class ShopifyLineItem(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    sku: str | None = None
    variant_id: int | str | None = None
    product_id: int | str | None = None
    title: str | None = Field(default=None, max_length=512)
    quantity: int = Field(default=1, ge=0, le=1_000_000)
    price: float = Field(default=0, ge=0)
    product_type: str | None = None


class ShopifyOrder(BaseModel):
    """The fields Kairos reads from Shopify's `orders/create` payload."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    id: int | str
    created_at: IsoTime
    total_price: float = Field(ge=0)
    currency: str = "TWD"
    email: str | None = None
    phone: str | None = None
    customer: ShopifyCustomer | None = None
    line_items: list[ShopifyLineItem] = Field(default_factory=list, max_length=500)
    checkout_token: str | None = Field(default=None, max_length=128)


def _slug(title: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title.strip().lower()).strip("-")
    return slug[:64] or "item"


def shopify_sku(line: ShopifyLineItem) -> str:
    """The SKU, else the variant id, else the product id, else a slug of the title: a
    stable key for the same product across orders (never `variant-None`)."""
    if line.sku and line.sku.strip():
        return line.sku.strip()
    if line.variant_id is not None:
        return f"variant-{line.variant_id}"
    if line.product_id is not None:
        return f"product-{line.product_id}"
    return f"title-{_slug(line.title or '')}"


def _contact(kind: str, value: str | None, notes: list[str]) -> str | None:
    """An email or phone the member can be reached and known by; an unusable one is
    dropped with a note, so one malformed field never loses the purchase."""
    if not value or not value.strip():
        return None
    try:
        return email_address(value.strip()) if kind == "email" else phone_number(value)
    except ValueError as exc:
        notes.append(f"customer {kind} dropped: {exc}")
        return None


def parse_shopify_order(body: bytes, shop_domain: str | None = None) -> CanonicalEvent:
    raw = load_json(body)
    if (too_big := size_problem(None, raw)) is not None:
        raise InvalidBody.of([too_big])
    try:
        order = ShopifyOrder.model_validate(raw)
    except ValidationError as exc:
        raise _refuse(exc) from None
    customer = order.customer or ShopifyCustomer()
    notes: list[str] = []
    identifiers = {
        "external_id": f"shopify-{customer.id}" if customer.id is not None else None,
        "email": _contact("email", customer.email or order.email, notes),
        "phone": _contact("phone", customer.phone or order.phone, notes),
    }
    try:
        member = MemberRef.model_validate({k: v for k, v in identifiers.items() if v})
    except ValidationError as exc:
        found = problems(exc, prefix="customer.")
        raise InvalidBody.of(found + [Problem(None, "customer", n) for n in notes]) from None
    items = [
        {
            "sku": shopify_sku(line),
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
    name = " ".join(p.strip() for p in (customer.last_name, customer.first_name) if p)
    if name:
        data["customer_name"] = name
    if notes:
        data["notes"] = notes
    if order.checkout_token:
        data["checkout_id"] = order.checkout_token  # the checkout it completes
    shop = (shop_domain or "unknown").strip().lower()
    try:
        return CanonicalEvent(
            id=f"shopify:{shop}:{order.id}",
            type="order.created",
            time=order.created_at,
            member=member,
            data=data,
        )
    except ValidationError as exc:
        raise _refuse(exc) from None


def parse_canonical_events(body: bytes, limit: int = 100) -> list[CanonicalEvent]:
    """`POST /events`: one canonical event or a JSON array of up to `limit`. Every event
    is checked before any is applied; the 400 lists every problem found."""
    raw = load_json(body)
    batch = raw if isinstance(raw, list) else [raw]
    if not batch:
        raise InvalidBody("body: an empty array has no events")
    if len(batch) > limit:
        raise InvalidBody(f"body: {len(batch)} events, at most {limit} per request")
    events: list[CanonicalEvent] = []
    found: list[Problem] = []
    for index, item in enumerate(batch):
        where = index if isinstance(raw, list) else None
        if (too_big := size_problem(where, item)) is not None:
            found.append(too_big)
            continue
        try:
            event = CanonicalEvent.model_validate(item)
        except ValidationError as exc:
            found.extend(problems(exc, where))
            continue
        events.append(event)
    if found:
        raise InvalidBody.of(found)
    return events
