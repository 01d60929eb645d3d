"""The month's bill through the whole pipeline: the sender adds each month's LINE,
email and SMS sends per journey (`MONTH#` counters), and `kairos stats --cost`'s view
prices the month under each Taiwan plan."""

from __future__ import annotations

from pathlib import Path

from kairos.reports.cost import month_bill
from kairos.store.costs import MonthCounterStore
from tests.e2e.journey_builder import BrandProject, follow


def test_a_months_sends_are_counted_per_journey_and_priced(tmp_path: Path) -> None:
    # Given a welcome on every follow (a free reply) and news a minute later (a push),
    # and 3 friends in March, 2 in April (Taipei)
    project = BrandProject(tmp_path)
    project.template("hello", line="歡迎！")
    project.template("news", line="本週新品！")
    project.journey("""
        id: welcome
        trigger: {event: line.follow}
        steps:
          - {id: hello, send: {channel: line, template: hello}}
          - {id: pause, wait: {minutes: 1}}
          - {id: news, send: {channel: line, template: news}}
    """)
    events = [follow(f"U-{i}", "2026-03-31T10:00") for i in range(3)]
    events += [follow(f"U-{i}", "2026-04-01T00:30") for i in range(3, 5)]
    # When the days run
    with project.running(events, until="2026-04-02") as simulation:
        store = MonthCounterStore(
            simulation.stack.tables["main"], simulation.stack.client("dynamodb")
        )
        march = store.month(["welcome"], "2026-03")
        april = store.month(["welcome"], "2026-04")
    # Then each month has its own billed pushes and free replies, and the bill prices them
    assert march == {"welcome": {"line_billed": 3, "line_free": 3}}
    assert april == {"welcome": {"line_billed": 2, "line_free": 2}}
    bill = month_bill("2026-03", march)
    assert bill["total"]["line_billed"] == 3
    assert [p["ntd"] for p in bill["plans"]] == [0.0, 800.0, 1200.0]
