"""The audit trail on both backends: entries newest first across days, paged by cursor
without reading empty days, and a member's entries from gsi1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kairos.store.audit import AuditRecord, AuditRepository
from tests.contract.conftest import Side

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def entry(n: int, at: datetime, member_id: str | None = None) -> AuditRecord:
    return AuditRecord(
        time=at, request_id=f"req-{n:02d}", by="amy", role="staff", action="tag.added",
        member_id=member_id, detail={"tag": f"t{n}", "rows": n},
    )  # fmt: skip


def test_the_log_pages_newest_first_across_days(side: Side) -> None:
    trail = AuditRepository(side.table, side.client("dynamodb"))
    # Given entries over five days with gaps (a day with nothing in between)
    written = [entry(n, NOW + timedelta(days=(n // 3) * 2, minutes=n)) for n in range(13)]
    for record in written:
        trail.record(record)
    # When the log is read four at a time
    pages: list[list[AuditRecord]] = []
    cursor: str | None = None
    while True:
        page, cursor = trail.page(limit=4, before=cursor)
        pages.append(page)
        if cursor is None:
            break
    # Then every entry comes once, newest first, as written
    listed = [r for page in pages for r in page]
    assert listed == sorted(written, key=lambda r: r.time, reverse=True)
    assert all(len(page) <= 4 for page in pages)
    assert listed[0].detail == {"tag": "t12", "rows": 12} and listed[0].by == "amy"


def test_a_retried_request_records_once_and_an_empty_log_is_empty(side: Side) -> None:
    trail = AuditRepository(side.table, side.client("dynamodb"))
    assert trail.page() == ([], None)
    trail.record(entry(1, NOW, "m-1"))
    trail.record(entry(1, NOW, "m-1"))
    assert [r.request_id for r in trail.page()[0]] == ["req-01"]


def test_a_members_entries_come_from_their_own_index(side: Side) -> None:
    trail = AuditRepository(side.table, side.client("dynamodb"))
    for n in range(7):
        trail.record(entry(n, NOW + timedelta(hours=n), "m-1" if n % 2 == 0 else "m-2"))
    trail.record(entry(99, NOW, None))  # an export names no member
    first, cursor = trail.of_member("m-1", limit=3)
    assert [r.request_id for r in first] == ["req-06", "req-04", "req-02"]
    rest, end = trail.of_member("m-1", limit=3, before=cursor)
    assert [r.request_id for r in rest] == ["req-00"] and end is None
    assert trail.of_member("nobody") == ([], None)
