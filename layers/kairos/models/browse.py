"""Browse events from a website (SPEC §1, docs/tracking.md): what each carries, and the
bounded browse state they leave on a member (`stats.views.*`, `profile.cart`,
`profile.checkout`, `profile.last_seen_at`).

Nothing here is an identifier: a browser never names who it is (ARCHITECTURE rule 8),
so every model refuses the identifier fields outright instead of ignoring them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

BROWSE_TYPES: tuple[str, ...] = (
    "page.viewed",
    "product.viewed",
    "cart.updated",
    "checkout.started",
    "checkout.updated",
)
"""The only types `POST /collect` takes (and the checkout ones from shop webhooks)."""

IDENTITY_FIELDS: frozenset[str] = frozenset(
    {"email", "phone", "line_user_id", "external_id", "member", "member_id", "user_id"}
)
"""Fields a browser may never send, at any depth: identity comes from proofs only."""

RECENT_PRODUCTS = 20
"""Products kept in `stats.views.recent`, newest first."""
MAX_COUNTED = 200
"""Distinct SKUs (and categories) counted in `stats.views.sku` / `.category`; past it
the least viewed is forgotten, so the profile never grows without limit."""
MAX_ITEMS = 50
"""Items kept on a cart or a checkout."""


def _web_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL")
    return value


class _Browse(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, str_strip_whitespace=True)
    url: str | None = Field(default=None, max_length=2048)
    title: str | None = Field(default=None, max_length=512)
    referrer: str | None = Field(default=None, max_length=2048)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _web_url(value)


class PageViewed(_Browse):
    pass


class ProductViewed(_Browse):
    sku: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=256)
    category: str | None = Field(default=None, max_length=128)
    price: float | None = Field(default=None, ge=0, le=1e12)
    image: str | None = Field(default=None, max_length=2048)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return _web_url(value)


class CartItem(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=256)
    category: str | None = Field(default=None, max_length=128)
    qty: int = Field(default=1, ge=0, le=10_000)
    price: float = Field(default=0, ge=0, le=1e12)
    image: str | None = Field(default=None, max_length=2048)
    url: str | None = Field(default=None, max_length=2048)

    @field_validator("image", "url")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        return _web_url(value)


class CartUpdated(_Browse):
    items: list[CartItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    total: float = Field(default=0, ge=0, le=1e12)
    currency: str = Field(default="TWD", min_length=3, max_length=3)


class CheckoutData(CartUpdated):
    checkout_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")


BROWSE_MODELS: dict[str, type[_Browse]] = {
    "page.viewed": PageViewed,
    "product.viewed": ProductViewed,
    "cart.updated": CartUpdated,
    "checkout.started": CheckoutData,
    "checkout.updated": CheckoutData,
}


def identity_field(value: Any, path: str = "data") -> str | None:
    """The path of the first identity field inside `value` (iteratively), if any."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, inner in node.items():
                if str(key).lower() in IDENTITY_FIELDS:
                    return f"{where}.{key}"
                stack.append((inner, f"{where}.{key}"))
        elif isinstance(node, list):
            stack.extend((inner, f"{where}[{i}]") for i, inner in enumerate(node))
    return None


class RecentProduct(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sku: str
    name: str | None = None
    category: str | None = None
    price: float | None = None
    url: str | None = None
    image: str | None = None
    viewed_at: str
    """ISO time of the latest view."""
    views: list[str] = Field(default_factory=list)
    """Times of the views in the last 24 hours (at most 10): `views_24h` of a view."""


class Views(BaseModel):
    """`stats.views`: what a member looked at, bounded (docs/tracking.md)."""

    model_config = ConfigDict(extra="ignore")
    pages: int = 0
    products: int = 0
    visits: int = 0
    sku: dict[str, int] = Field(default_factory=dict)
    category: dict[str, int] = Field(default_factory=dict)
    recent: list[RecentProduct] = Field(default_factory=list)
