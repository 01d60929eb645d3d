"""The LINE monthly allowance, reserved per batch."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kairos.delivery.quota import month_of, reserve
from tests.unit.delivery.fakes import MemoryQuota


def test_the_month_is_the_brands_calendar_month() -> None:
    # 2026-03-31T17:00Z is already April in Taipei
    assert month_of(datetime.fromisoformat("2026-03-31T17:00:00+00:00"), ZoneInfo("Asia/Taipei")) == "2026-04"  # fmt: skip


def test_room_goes_to_transactional_first_and_the_rest_is_handed_back() -> None:
    store = MemoryQuota()
    store.totals[("line", "2026-03")] = 95
    got = reserve(store, "line", "2026-03", limit=100, transactional=2, non_transactional=10)
    assert got.allowed_non_transactional == 3
    assert got.reserved == 5
    assert store.totals[("line", "2026-03")] == 100


def test_transactional_sends_pass_even_over_the_limit() -> None:
    store = MemoryQuota()
    store.totals[("line", "2026-03")] = 100
    got = reserve(store, "line", "2026-03", limit=100, transactional=1, non_transactional=1)
    assert (got.allowed_non_transactional, got.reserved) == (0, 1)


def test_an_exhausted_month_allows_no_marketing() -> None:
    store = MemoryQuota()
    store.mark_exhausted("line", "2026-03")
    got = reserve(store, "line", "2026-03", limit=1000, transactional=0, non_transactional=5)
    assert got.allowed_non_transactional == 0
    assert store.totals[("line", "2026-03")] == 0
