"""A journey's LINE figures and month bill in the console's journey answer, through the
real webhook handler on the memory backend: each LINE step's opens and clicks as LINE
counts them (hidden under 20, or not read yet), and the month's messages priced under
each Taiwan plan, the month chosen with `?month=` or the brand's current month."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kairos.console.journey_line import month_of, step_line
from kairos.members.service import InvalidRequest
from kairos.store.costs import MonthCounterStore
from kairos.store.line_units import LineUnitStore
from tests.e2e.journey_builder import BrandProject
from tests.unit.console.client import Console

TAIPEI = ZoneInfo("Asia/Taipei")
JOURNEY = """
    id: welcome
    trigger: {event: line.follow}
    steps:
      - {id: hello, send: {channel: line, template: hi}}
      - {id: rest, wait: {days: 1}}
      - {id: again, send: {channel: line, template: hi}}
      - {id: mail, send: {channel: email, template: hi}}
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    """Given LINE's figures of `hello` read on 3/4 (24 opens, clicks hidden), none of
    `again` yet; and the journey's sends of February and March (in two shards' worth of
    increments, as two send batches would add them)."""
    project = BrandProject(tmp_path_factory.mktemp("line"))
    project.template("hi", line="嗨", email="Hi")
    project.journey(JOURNEY)
    console = Console(project.root)
    table, client = console.stack.tables["main"], console.backend.client("dynamodb")
    LineUnitStore(table, client).put_unit_stats(
        "welcome",
        "hello",
        {"opened": 24, "clicked": None, "from": "2026-02-19", "to": "2026-03-04",
         "read_at": "2026-03-04T01:00:00+00:00"},
    )  # fmt: skip
    months = MonthCounterStore(table, client)
    months.count_months({("welcome", "2026-03"): {"line_billed": 6000, "line_free": 40,
                                                  "email": 12, "sms": 3, "sms_segments": 5}})  # fmt: skip
    months.count_months({("welcome", "2026-03"): {"line_billed": 100, "line_free": 2}})
    months.count_months({("welcome", "2026-02"): {"line_billed": 250}})
    months.count_months({("other", "2026-03"): {"line_billed": 999}})
    return console


def page(console: Console, query: str = "") -> Any:
    answer = console.call("GET", f"journeys/welcome{query}", "marketer")
    assert answer.status == 200, answer.text
    return answer.body


def test_a_step_whose_clicks_line_hid_says_so_and_a_step_not_read_has_no_data(
    console: Console,
) -> None:
    nodes = {n["id"]: n for n in page(console)["graph"]["nodes"]}
    assert nodes["hello"]["line"] == {
        "line_opened": 24, "line_opened_hidden": False,
        "line_clicked": None, "line_clicked_hidden": True,
        "from": "2026-02-19", "to": "2026-03-04", "read_at": "2026-03-04T09:00:00+08:00",
    }  # fmt: skip
    assert nodes["again"]["line"] == {
        "line_opened": None, "line_opened_hidden": False,
        "line_clicked": None, "line_clicked_hidden": False,
        "from": None, "to": None, "read_at": None,
    }  # fmt: skip
    # Steps that never send on LINE, and the journey's own nodes, have no LINE figures
    assert nodes["rest"]["line"] is None and nodes["mail"]["line"] is None
    assert nodes["_start"]["line"] is None


def test_the_month_is_the_brands_current_one_summed_over_shards_and_priced(
    console: Console,
) -> None:
    # The console's request time is 2026-03-01 10:00 in Taipei
    bill = page(console)["month"]
    assert (bill["month"], bill["zone"]) == ("2026-03", "Asia/Taipei")
    figures = {n: bill[n] for n in ("line_billed", "line_free", "email", "sms", "sms_segments")}
    assert figures == {
        "line_billed": 6100,
        "line_free": 42,
        "email": 12,
        "sms": 3,
        "sms_segments": 5,
    }
    assert bill["billable_share"] == round(6100 / 6142, 4)
    plans = {p["plan"]: p for p in bill["plans"]}
    # Light and Medium cannot send past their allowance; High charges NT$0.2 each past 6,000
    assert plans["light"] == {"plan": "light", "name": "Light 輕用量", "fits": False,
                              "ntd": None, "over_allowance": 5900}  # fmt: skip
    assert (plans["medium"]["fits"], plans["medium"]["ntd"]) == (False, None)
    assert (plans["high"]["fits"], plans["high"]["ntd"]) == (True, 1220.0)
    assert bill["prices_as_of"] == "2023-09-01"


def test_another_month_is_chosen_with_month_and_a_month_without_sends_is_zero(
    console: Console,
) -> None:
    february = page(console, "?month=2026-02")["month"]
    assert (february["month"], february["line_billed"], february["line_free"]) == (
        "2026-02", 250, 0
    )  # fmt: skip
    # Past Light's 200, within Medium's and High's allowance
    assert [p["ntd"] for p in february["plans"]] == [None, 800.0, 1200.0]
    empty = page(console, "?month=2025-12")["month"]
    assert (empty["line_billed"], empty["billable_share"]) == (0, None)
    assert [p["ntd"] for p in empty["plans"]] == [0.0, 800.0, 1200.0]


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "March", "2026-03-01"])
def test_a_month_that_is_not_one_is_a_400(console: Console, month: str) -> None:
    answer = console.call("GET", f"journeys/welcome?month={month}", "marketer")
    assert answer.status == 400
    assert "is not a month (YYYY-MM)" in answer.body["error"]


def test_staff_below_marketer_may_not_read_it(console: Console) -> None:
    assert console.call("GET", "journeys/welcome?month=2026-03", "staff").status == 403


def test_the_default_month_is_the_brands_at_the_requests_time() -> None:
    # 20:00 UTC on 2/28 is already March in Taipei
    assert month_of({}, datetime(2026, 2, 28, 20, 0, tzinfo=UTC), TAIPEI) == "2026-03"
    assert month_of({}, datetime(2026, 2, 28, 15, 59, tzinfo=UTC), TAIPEI) == "2026-02"
    assert month_of({"month": " 2025-11 "}, datetime(2026, 3, 1, tzinfo=UTC), TAIPEI) == "2025-11"
    with pytest.raises(InvalidRequest):
        month_of({"month": "2026-00"}, datetime(2026, 3, 1, tzinfo=UTC), TAIPEI)


def test_kept_figures_read_as_counted_hidden_or_absent() -> None:
    both_hidden = step_line({"opened": None, "clicked": None, "from": "2026-02-19"}, TAIPEI)
    assert (both_hidden.line_opened_hidden, both_hidden.line_clicked_hidden) == (True, True)
    assert both_hidden.read_at is None and both_hidden.to is None
    counted = step_line({"opened": 30, "clicked": 21}, TAIPEI)
    assert (counted.line_opened, counted.line_clicked) == (30, 21)
    assert not (counted.line_opened_hidden or counted.line_clicked_hidden)
    # A figure the item does not have at all was not hidden by LINE
    partial = step_line({"opened": 25}, TAIPEI)
    assert (partial.line_clicked, partial.line_clicked_hidden) == (None, False)
