"""How browse events change a member (pure): bounded counters, recent products, the open
cart and checkout, the current visit (docs/tracking.md).

Page views are the largest input a brand has, so nothing here grows without limit:
`stats.views.recent` keeps the last RECENT_PRODUCTS products, the SKU and category
counters the MAX_COUNTED most viewed, a cart or checkout MAX_ITEMS items, and the
history gets one entry per visit (a session of the snippet), rewritten as it grows,
never one per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kairos.models.browse import MAX_COUNTED, RECENT_PRODUCTS, RecentProduct, Views
from kairos.models.member import Member

DAY = timedelta(days=1)
VISIT_PRODUCTS = 10
"""SKUs named on one visit's history entry."""


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1
    if len(counts) > MAX_COUNTED:
        # Forget the least viewed (ties: the alphabetically last), never the one just seen.
        victim = min(
            (k for k in counts if k != key), key=lambda k: (counts[k], [-ord(c) for c in k])
        )
        del counts[victim]


def _newer(member: Member, path: str, stamp: str) -> bool:
    if member.field_times.get(path, "") > stamp:
        return False
    member.field_times[path] = stamp
    return True


def _seen(member: Member, time: datetime) -> None:
    last = member.profile.get("last_seen_at")
    if last is None or datetime.fromisoformat(last) < time:
        member.profile["last_seen_at"] = time.isoformat()


def _viewed(member: Member, data: dict[str, Any], time: datetime) -> int:
    """Record a product view; how many views of that SKU the last 24 hours hold."""
    views = member.stats.views
    views.products += 1
    sku = str(data["sku"])
    _count(views.sku, sku)
    if data.get("category"):
        _count(views.category, str(data["category"]))
    found = next((p for p in views.recent if p.sku == sku), None)
    recent = [p for p in views.recent if p.sku != sku]
    times = [t for t in (found.views if found else []) if datetime.fromisoformat(t) > time - DAY]
    times = sorted({*times, time.isoformat()})[-10:]
    details = {k: data.get(k) for k in ("name", "category", "price", "url", "image")}
    kept = {k: v for k, v in (found.model_dump() if found else {}).items() if v is not None}
    product = RecentProduct.model_validate(
        {**kept, **{k: v for k, v in details.items() if v is not None}, "sku": sku,
         "viewed_at": max(time.isoformat(), kept.get("viewed_at", "")), "views": times}
    )  # fmt: skip
    views.recent = sorted([product, *recent], key=lambda p: p.viewed_at, reverse=True)[
        :RECENT_PRODUCTS
    ]
    return sum(1 for t in times if datetime.fromisoformat(t) > time - DAY)


def _basket(data: dict[str, Any], time: datetime) -> dict[str, Any]:
    return {
        "items": data.get("items", []),
        "total": data.get("total", 0),
        "currency": data.get("currency", "TWD"),
        "count": sum(int(i.get("qty", 1)) for i in data.get("items", [])),
        "updated_at": time.isoformat(),
        **({"url": data["url"]} if data.get("url") else {}),
    }


def apply_browse(
    member: Member, kind: str, data: dict[str, Any], time: datetime, stamp: str
) -> dict[str, Any]:
    """Apply one browse event to `member` (in place); what to add to the event's data
    for conditions (`views_24h` on a product view: 2 on the second view within a day)."""
    _seen(member, time)
    if kind == "page.viewed":
        member.stats.views.pages += 1
    elif kind == "product.viewed":
        return {"views_24h": _viewed(member, data, time)}
    elif kind == "cart.updated":
        if _newer(member, "cart", stamp):
            member.profile["cart"] = _basket(data, time)
    elif kind in ("checkout.started", "checkout.updated"):
        previous = member.profile.get("checkout") or {}
        same = previous.get("checkout_id") == data["checkout_id"]
        if same and previous.get("completed_at"):
            return {}  # a late update of a checkout already ordered
        if _newer(member, "checkout", stamp):
            checkout = {**_basket(data, time), "checkout_id": data["checkout_id"]}
            checkout["started_at"] = previous.get("started_at") if same else time.isoformat()
            if data.get("completed_at"):
                checkout["completed_at"] = data["completed_at"]
            member.profile["checkout"] = checkout
    return {}


def complete_checkout(member: Member, data: dict[str, Any], time: datetime) -> None:
    """An order that completes the member's open checkout (`data.checkout_id`): the
    checkout is marked done and the cart emptied."""
    checkout_id = data.get("checkout_id")
    checkout = member.profile.get("checkout")
    if checkout_id and isinstance(checkout, dict) and checkout.get("checkout_id") == checkout_id:
        member.profile["checkout"] = {**checkout, "completed_at": time.isoformat()}
    if checkout_id and isinstance(member.profile.get("cart"), dict):
        member.profile["cart"] = {**member.profile["cart"], "items": [], "total": 0, "count": 0}


def merge_views(keep: Views, absorb: Views) -> Views:
    """Both members' browse counters and recent products (a merge of a visitor into
    the member it turned out to be)."""
    merged = keep.model_copy(deep=True)
    for name in ("pages", "products", "visits"):
        setattr(merged, name, getattr(keep, name) + getattr(absorb, name))
    for name in ("sku", "category"):
        counts: dict[str, int] = dict(getattr(keep, name))
        for key, value in getattr(absorb, name).items():
            counts[key] = counts.get(key, 0) + value
        top = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_COUNTED]
        setattr(merged, name, {k: counts[k] for k in top})
    by_sku = {p.sku: p for p in absorb.recent}
    by_sku.update({p.sku: p for p in keep.recent if p.viewed_at >= by_sku.get(p.sku, p).viewed_at})
    merged.recent = sorted(by_sku.values(), key=lambda p: p.viewed_at, reverse=True)[
        :RECENT_PRODUCTS
    ]
    return merged


@dataclass
class Visit:
    """The history entry of one visit (a snippet session), rewritten as it grows."""

    session: str
    started_at: datetime
    last_at: datetime
    pages: int = 0
    products: list[str] = field(default_factory=list)
    landing: str | None = None
    referrer: str | None = None
    new: bool = True

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "session": self.session,
            "pages": self.pages,
            "products": self.products,
            "minutes": round((self.last_at - self.started_at).total_seconds() / 60, 1),
        }
        if self.landing:
            data["landing"] = self.landing
        if self.referrer:
            data["referrer"] = self.referrer
        return data


def visit_of(
    member: Member, session: str, events: list[tuple[str, dict[str, Any], datetime]]
) -> Visit:
    """The member's visit `session` after `events` (type, data, time); kept on the
    profile as `visit` so the next batch of the same session rewrites the same entry."""
    stored = member.profile.get("visit")
    if isinstance(stored, dict) and stored.get("session") == session:
        visit = Visit(
            session=session,
            started_at=datetime.fromisoformat(stored["started_at"]),
            last_at=datetime.fromisoformat(stored["last_at"]),
            pages=int(stored.get("pages", 0)),
            products=list(stored.get("products", [])),
            landing=stored.get("landing"),
            referrer=stored.get("referrer"),
            new=False,
        )
    else:
        first = min(t for _, _, t in events)
        visit = Visit(session=session, started_at=first, last_at=first)
        member.stats.views.visits += 1
    for kind, data, time in events:
        if visit.new:  # the entry's key is the start: fixed once written
            visit.started_at = min(visit.started_at, time)
        visit.last_at = max(visit.last_at, time)
        if kind == "page.viewed":
            visit.pages += 1
            if visit.landing is None and data.get("url"):
                visit.landing = data["url"]
                visit.referrer = data.get("referrer") or None
        elif kind == "product.viewed" and data["sku"] not in visit.products:
            visit.products = [*visit.products, data["sku"]][-VISIT_PRODUCTS:]
    member.profile["visit"] = {
        "session": session,
        "started_at": visit.started_at.isoformat(),
        "last_at": visit.last_at.isoformat(),
        "pages": visit.pages,
        "products": visit.products,
        **({"landing": visit.landing} if visit.landing else {}),
        **({"referrer": visit.referrer} if visit.referrer else {}),
    }
    return visit
