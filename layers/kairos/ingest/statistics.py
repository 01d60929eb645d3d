"""Order statistics (SPEC §2), updated exactly once per order event.

An order's contribution is kept beside the member (`ORDER#<id>`) so a cancellation
takes back exactly what the order added. Ties for favourites go to the alphabetically
first key, so the same history always gives the same favourite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field

from kairos.models.member import WEEKDAYS, Stats


class OrderContribution(BaseModel):
    """What one order added to a member's statistics."""

    order_id: str
    time: AwareDatetime
    total: float
    weekday: str
    category_qty: dict[str, int] = Field(default_factory=dict)
    sku_qty: dict[str, int] = Field(default_factory=dict)
    cancelled: bool = False
    event_id: str = ""
    """The event that reported the order: when the same order arrives under two event
    ids, the earliest report (by time, then id) is the one counted."""


def contribution(
    order_id: str, time: datetime, data: dict[str, Any], zone: ZoneInfo
) -> OrderContribution:
    category_qty: dict[str, int] = {}
    sku_qty: dict[str, int] = {}
    for item in data.get("items", []):
        qty = int(item.get("qty", 1))
        sku_qty[item["sku"]] = sku_qty.get(item["sku"], 0) + qty
        if item.get("category"):
            category_qty[item["category"]] = category_qty.get(item["category"], 0) + qty
    return OrderContribution(
        order_id=order_id,
        time=time,
        total=float(data.get("total", 0)),
        weekday=WEEKDAYS[time.astimezone(zone).weekday()],
        category_qty=category_qty,
        sku_qty=sku_qty,
    )


def _amount(value: float) -> int | float:
    """Money rounded to cents, and whole amounts as integers: templates print `1160`,
    not `1160.0`."""
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded


def _favourite(counts: dict[str, int]) -> str | None:
    positive = {k: v for k, v in counts.items() if v > 0}
    if not positive:
        return None
    return min(positive, key=lambda k: (-positive[k], k))


def _merge(counts: dict[str, int], delta: dict[str, int], sign: int) -> dict[str, int]:
    merged = dict(counts)
    for key, value in delta.items():
        merged[key] = merged.get(key, 0) + sign * value
        if merged[key] <= 0:
            del merged[key]
    return merged


def _dates(stats: Stats) -> None:
    times = list(stats.order_times.values())
    stats.first_order_at = min(times) if times else None
    stats.last_order_at = max(times) if times else None


def _derive(stats: Stats) -> Stats:
    stats.avg_order_value = (
        _amount(stats.total_spent / stats.order_count) if stats.order_count else 0
    )
    stats.total_spent = _amount(stats.total_spent)
    stats.favorite_sku = _favourite(stats.sku_counts)
    stats.favorite_category = _favourite(stats.category_counts)
    stats.distinct_skus = len(stats.sku_counts)
    stats.top_weekday = _favourite(stats.weekday_counts)
    return stats


def add_order(stats: Stats, order: OrderContribution) -> Stats:
    updated = stats.model_copy(deep=True)
    updated.order_count += 1
    updated.total_spent = round(updated.total_spent + order.total, 2)
    updated.order_times[order.order_id] = order.time
    _dates(updated)
    updated.category_counts = _merge(updated.category_counts, order.category_qty, 1)
    updated.sku_counts = _merge(updated.sku_counts, order.sku_qty, 1)
    updated.weekday_counts = _merge(updated.weekday_counts, {order.weekday: 1}, 1)
    return _derive(updated)


def remove_order(stats: Stats, order: OrderContribution) -> Stats:
    """Take a cancelled order back out; first/last order dates come from the orders
    still live."""
    updated = stats.model_copy(deep=True)
    updated.order_count = max(0, updated.order_count - 1)
    updated.total_spent = max(0.0, round(updated.total_spent - order.total, 2))
    updated.category_counts = _merge(updated.category_counts, order.category_qty, -1)
    updated.sku_counts = _merge(updated.sku_counts, order.sku_qty, -1)
    updated.weekday_counts = _merge(updated.weekday_counts, {order.weekday: 1}, -1)
    updated.order_times.pop(order.order_id, None)
    _dates(updated)
    return _derive(updated)
