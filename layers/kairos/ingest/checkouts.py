"""Shop checkouts → `checkout.started` / `checkout.updated` (docs/webhooks.md, docs/tracking.md).

Shopify sends `checkouts/create` and `checkouts/update` (topic in `X-Shopify-Topic`) and
no "abandoned" event: the abandoned-checkout journey's wait is Kairos' job. A checkout's
id is Shopify's checkout `token`, which the order that completes it carries as
`checkout_token` (so `order.created` says `data.checkout_id`). A checkout with
`completed_at` is marked done. Event ids: `shopify:<shop>:event:<X-Shopify-Event-Id>`
(Shopify's own dedupe key), else `shopify:<shop>:checkout:<token>:<updated_at>`.

The generic shop route takes a checkout body (`checkout_id` instead of `order_id`):
`shop:<source>:checkout:<id>:<updated_at>`. A checkout naming no customer cannot be
anyone's (a guest's email comes later, with `checkouts/update`): it is ignored, 200.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kairos.ingest.body import load_json, problems, size_problem
from kairos.ingest.errors import InvalidBody
from kairos.ingest.shop import ShopifyCustomer, ShopifyLineItem, ShopItem, _contact, shopify_sku
from kairos.models.events import CanonicalEvent, IsoTime, MemberRef


def _refuse(exc: ValidationError) -> InvalidBody:
    return InvalidBody.of(problems(exc))


class ShopCheckout(BaseModel):
    """The generic checkout body (`POST /shop/orders` with `X-Kairos-Signature`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    checkout_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    status: Literal["started", "updated", "completed"] = "started"
    updated_at: IsoTime
    customer: MemberRef
    total: float = Field(default=0, ge=0)
    currency: str = Field(default="TWD", min_length=3, max_length=3)
    items: list[ShopItem] = Field(default_factory=list, max_length=500)
    url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")
    source: str = Field(default="shop", pattern=r"^[a-z0-9-]{1,32}$")


def is_checkout(raw: Any) -> bool:
    return isinstance(raw, dict) and "checkout_id" in raw and "order_id" not in raw


def parse_generic_checkout(body: bytes) -> CanonicalEvent:
    raw = load_json(body)
    if (too_big := size_problem(None, raw)) is not None:
        raise InvalidBody.of([too_big])
    try:
        checkout = ShopCheckout.model_validate(raw)
    except ValidationError as exc:
        raise _refuse(exc) from None
    data: dict[str, Any] = {
        "checkout_id": checkout.checkout_id,
        "total": checkout.total,
        "currency": checkout.currency,
        "items": [item.model_dump(exclude_none=True) for item in checkout.items],
    }
    if checkout.url:
        data["url"] = checkout.url
    if checkout.status == "completed":
        data["completed_at"] = checkout.updated_at.isoformat()
    key = (
        f"shop:{checkout.source}:checkout:{checkout.checkout_id}:{checkout.updated_at.isoformat()}"
    )
    return CanonicalEvent(
        id=key,
        type="checkout.started" if checkout.status == "started" else "checkout.updated",
        time=checkout.updated_at,
        member=checkout.customer,
        data=data,
    )


class ShopifyCheckout(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)
    token: str = Field(min_length=1, max_length=128)
    created_at: IsoTime
    updated_at: IsoTime | None = None
    completed_at: IsoTime | None = None
    total_price: float = Field(default=0, ge=0)
    currency: str = "TWD"
    email: str | None = None
    phone: str | None = None
    customer: ShopifyCustomer | None = None
    line_items: list[ShopifyLineItem] = Field(default_factory=list, max_length=500)
    abandoned_checkout_url: str | None = Field(default=None, max_length=2048)


def parse_shopify_checkout(
    body: bytes, topic: str, shop_domain: str | None, event_id: str | None
) -> CanonicalEvent | None:
    """The checkout event, or None when the checkout names no customer yet."""
    raw = load_json(body)
    if (too_big := size_problem(None, raw)) is not None:
        raise InvalidBody.of([too_big])
    try:
        checkout = ShopifyCheckout.model_validate(raw)
    except ValidationError as exc:
        raise _refuse(exc) from None
    customer = checkout.customer or ShopifyCustomer()
    notes: list[str] = []
    identifiers = {
        "external_id": f"shopify-{customer.id}" if customer.id is not None else None,
        "email": _contact("email", customer.email or checkout.email, notes),
        "phone": _contact("phone", customer.phone or checkout.phone, notes),
    }
    known = {k: v for k, v in identifiers.items() if v}
    if not known:
        return None
    data: dict[str, Any] = {
        "checkout_id": checkout.token,
        "total": checkout.total_price,
        "currency": checkout.currency,
        "items": [
            {k: v for k, v in item.items() if v is not None}
            for item in (
                {"sku": shopify_sku(line), "name": line.title, "qty": line.quantity,
                 "price": line.price, "category": line.product_type or None}
                for line in checkout.line_items
            )
        ],
    }  # fmt: skip
    if checkout.abandoned_checkout_url and checkout.abandoned_checkout_url.startswith("https://"):
        data["url"] = checkout.abandoned_checkout_url
    if checkout.completed_at is not None:
        data["completed_at"] = checkout.completed_at.isoformat()
    shop = (shop_domain or "unknown").strip().lower()
    when = checkout.updated_at or checkout.created_at
    key = (
        f"shopify:{shop}:event:{event_id.strip()}"
        if event_id and event_id.strip()
        else f"shopify:{shop}:checkout:{checkout.token}:{when.isoformat()}"
    )
    created = topic.strip().lower() == "checkouts/create"
    try:
        return CanonicalEvent(
            id=key,
            type="checkout.started" if created else "checkout.updated",
            time=when,
            member=MemberRef.model_validate(known),
            data=data,
        )
    except ValidationError as exc:
        raise _refuse(exc) from None
