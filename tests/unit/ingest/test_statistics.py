from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kairos.ingest.statistics import add_order, contribution, remove_order
from kairos.models.member import Stats

TAIPEI = ZoneInfo("Asia/Taipei")


def order(order_id: str, when: str, total: float, items: list[tuple[str, str, int]]):  # type: ignore[no-untyped-def]
    data = {"total": total, "items": [{"sku": s, "category": c, "qty": q} for s, c, q in items]}
    return contribution(order_id, datetime.fromisoformat(when), data, TAIPEI)


def test_statistics_accumulate_across_orders() -> None:
    stats = Stats()
    stats = add_order(stats, order("1", "2026-03-07T09:00:00+08:00", 120, [("LATTE", "coffee", 2)]))
    stats = add_order(
        stats,
        order("2", "2026-03-14T09:00:00+08:00", 80, [("LATTE", "coffee", 1), ("BAGEL", "food", 1)]),
    )
    stats = add_order(stats, order("3", "2026-03-02T09:00:00+08:00", 50, [("BAGEL", "food", 1)]))
    assert stats.order_count == 3
    assert stats.total_spent == 250
    assert stats.avg_order_value == 83.33
    assert stats.first_order_at == datetime.fromisoformat("2026-03-02T09:00:00+08:00")
    assert stats.last_order_at == datetime.fromisoformat("2026-03-14T09:00:00+08:00")
    assert stats.sku_counts == {"LATTE": 3, "BAGEL": 2}
    assert stats.favorite_sku == "LATTE"
    assert stats.category_counts == {"coffee": 3, "food": 2}
    assert stats.distinct_skus == 2
    assert stats.weekday_counts == {"sat": 2, "mon": 1}
    assert stats.top_weekday == "sat"


def test_weekday_is_the_brand_timezone_weekday() -> None:
    # 23:30 UTC on Friday is Saturday morning in Taipei.
    contrib = order("1", "2026-03-06T23:30:00+00:00", 10, [])
    assert contrib.weekday == "sat"


def test_ties_pick_the_alphabetically_first_favourite() -> None:
    stats = add_order(
        Stats(), order("1", "2026-03-07T09:00:00+08:00", 10, [("B", "x", 1), ("A", "y", 1)])
    )
    assert (stats.favorite_sku, stats.favorite_category) == ("A", "x")


def test_cancelling_removes_exactly_what_the_order_added() -> None:
    first = order("1", "2026-03-07T09:00:00+08:00", 120, [("LATTE", "coffee", 2)])
    second = order("2", "2026-03-08T09:00:00+08:00", 80, [("BAGEL", "food", 1)])
    stats = add_order(add_order(Stats(), first), second)
    stats = remove_order(stats, second)
    assert stats.order_count == 1
    assert stats.total_spent == 120
    assert stats.sku_counts == {"LATTE": 2}
    assert stats.favorite_category == "coffee"
    assert stats.weekday_counts == {"sat": 1}
    stats = remove_order(stats, first)
    assert stats.order_count == 0 and stats.last_order_at is None and stats.favorite_sku is None


def test_whole_amounts_stay_whole_for_templates() -> None:
    stats = add_order(Stats(), order("1", "2026-03-07T09:00:00+08:00", 1000.0, []))
    stats = add_order(stats, order("2", "2026-03-08T09:00:00+08:00", 160.0, []))
    assert (stats.total_spent, stats.avg_order_value) == (1160, 580)
    assert isinstance(stats.total_spent, int) and str(stats.total_spent) == "1160"
    stats = add_order(stats, order("3", "2026-03-09T09:00:00+08:00", 0.5, []))
    assert stats.total_spent == 1160.5
