"""A member's history by kind on both backends: filtered pages newest first, older by
cursor, a staff change found by its `data.by`, and a bounded number of reads per page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kairos.store import history
from kairos.store.history import HistoryReads, KindFilter
from kairos.store.timeline import timeline_item
from tests.contract.conftest import Side

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def put(side: Side, member_id: str, n: int, kind: str, data: dict[str, Any]) -> None:
    item = timeline_item(member_id, NOW + timedelta(minutes=n), f"e{n:04d}", kind, data, 30)
    side.client("dynamodb").put_item(TableName=side.table, Item=item)


def test_pages_of_one_kind_newest_first(side: Side) -> None:
    reads = HistoryReads(side.table, side.client("dynamodb"))
    kinds = ["order.created", "line.follow", "delivery.sent", "tag.added", "order.cancelled"]
    for n in range(20):
        data: dict[str, Any] = {"n": n}
        if n == 13:
            data["by"] = "sam"
        put(side, "m-1", n, kinds[n % len(kinds)], data)
    put(side, "m-2", 99, "order.created", {"n": 99})  # another member's: never read
    orders: list[int] = []
    cursor = None
    while True:
        page, cursor = reads.page("m-1", 3, cursor, KindFilter(prefixes=("order.",)))
        orders += [e["data"]["n"] for e in page]
        if cursor is None:
            break
    assert orders == [19, 15, 14, 10, 9, 5, 4, 0]
    staff, _ = reads.page("m-1", 10, None, KindFilter(kinds=("member.note_added",), by=True))
    assert [(e["kind"], e["data"]["by"]) for e in staff] == [("tag.added", "sam")]
    everything, more = reads.page("m-1", 5)
    assert [e["data"]["n"] for e in everything] == [19, 18, 17, 16, 15] and more


def test_a_rare_kind_stops_after_bounded_reads_with_a_cursor(side: Side, monkeypatch: Any) -> None:
    monkeypatch.setattr(history, "READ_PAGE", 4)
    monkeypatch.setattr(history, "MAX_READS", 2)
    reads = HistoryReads(side.table, side.client("dynamodb"))
    put(side, "m-1", 0, "email.opened", {})
    for n in range(1, 20):
        put(side, "m-1", n, "line.message", {"text": "hi"})
    page, cursor = reads.page("m-1", 5, None, KindFilter(kinds=("email.opened",)))
    # Two reads of four entries found nothing: the page says where to go on.
    assert page == [] and cursor is not None and cursor.startswith("TL#")
    found: list[dict[str, Any]] = []
    while cursor is not None:
        page, cursor = reads.page("m-1", 5, cursor, KindFilter(kinds=("email.opened",)))
        found += page
    assert [e["kind"] for e in found] == ["email.opened"]
