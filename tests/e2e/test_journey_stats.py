"""`kairos stats`: conversion revenue, A/B arms and the per-day series on a simulated
brand, through the real CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kairos_dev.cli import main
from kairos_dev.local.simulator import Simulation, load_events
from tests.e2e.journey_builder import BrandProject, at, follow, order

JOURNEY = """
    id: spring-ab
    name: 春季新品 A/B
    trigger: {event: line.follow}
    holdout: 20
    exit_on: [{event: order.created}]
    steps:
      - id: pick
        split:
          - {weight: 50, goto: plain}
          - {weight: 50, goto: coupon}
      - {id: plain, send: {channel: line, template: plain}, next: wait}
      - {id: coupon, send: {channel: line, template: coupon}}
      - {id: wait, wait: {days: 20}}
"""


@pytest.fixture
def brand(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Given 24 friends in an A/B journey; 13 of them order within it (some twice), two
    order only after it ended. Yields the table and the events."""
    project = BrandProject(tmp_path)
    project.template("plain", line="春季新品上市")
    project.template("coupon", line="春季新品九折")
    project.journey(JOURNEY)
    events = [follow(f"U{i:02d}", f"2026-03-0{1 + i % 3}T10:00") for i in range(24)]
    for i in range(13):
        # Two orders a day apart around local midnight: the day series must use Taipei days.
        when = "2026-03-05T23:30" if i % 2 else "2026-03-06T00:30"
        events.append(order(f"U{i:02d}", when, total=1000 + 100 * i))
        events.append(order(f"U{i:02d}", "2026-03-07T12:00", total=99999))  # after converting
    events.append(order("U20", "2026-04-20T12:00", total=55555))  # journey over by then
    events.append(order("U21", "2026-04-21T12:00", total=55555))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events), encoding="utf-8")
    saved = dict(os.environ)
    loaded = load_events(path)
    simulation = Simulation.start(str(project.root), loaded[0].time, backend="emulator")
    try:
        simulation.run(loaded, datetime.fromisoformat(at("2026-04-30T00:00")))
        yield simulation.stack.tables["main"], events
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)


def _stats(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["stats", "spring-ab", *args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_revenue_arms_and_days_add_up_with_the_orders(
    brand: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table, events = brand
    # The first order of each member after following converts them; later orders and
    # orders after the journey ended are not the journey's revenue.
    converting: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["type"] == "order.created" and e["data"]["total"] < 50000:
            converting.setdefault(e["member"]["line_user_id"], e)
    expected = sum(e["data"]["total"] for e in converting.values())

    # When the marketer asks for the journey's stats with a day series and a chart
    chart = tmp_path / "charts" / "spring.png"
    result = _stats(capsys, "--table", table, "--from", "2026-03-01", "--to", "2026-03-10",
                    "--plot", str(chart))  # fmt: skip

    # Then every converting order is counted once, treated and control group apart
    assert result["entered"] == 24
    assert result["converted"] == 13
    assert result["revenue"] + result["revenue_holdout"] == expected
    assert 0 < result["held_out"] < 24
    treated_conversions = result["converted"] - _holdout_conversions(result)
    assert result["revenue_per_conversion"] == pytest.approx(
        result["revenue"] / treated_conversions
    )

    # And the arms sit side by side, adding up to the journey
    arms = result["arms"]
    assert [(a["split"], a["arm"]) for a in arms] == [("pick", 0), ("pick", 1)]
    assert sum(a["entered"] for a in arms) == 24
    assert sum(a["converted"] for a in arms) == 13
    assert sum(a["revenue"] for a in arms) == expected
    for arm in arms:
        assert arm["entered"] > 0
        assert arm["conversion_rate"] == pytest.approx(arm["converted"] / arm["entered"])

    # And the day series uses Taipei days: 23:30 on the 5th and 00:30 on the 6th apart
    days = {row["day"]: row for row in result["days"]}
    assert list(days) == [f"2026-03-{d:02d}" for d in range(1, 11)]
    assert [days[f"2026-03-0{d}"]["entered"] for d in (1, 2, 3)] == [8, 8, 8]
    late = [e for e in converting.values() if e["time"].startswith("2026-03-05T23:30")]
    early = [e for e in converting.values() if e["time"].startswith("2026-03-06T00:30")]

    def revenue(day: str) -> float:
        return float(days[day]["revenue"] + days[day]["revenue_holdout"])

    assert days["2026-03-05"]["converted"] == len(late)
    assert revenue("2026-03-05") == sum(e["data"]["total"] for e in late)
    assert days["2026-03-06"]["converted"] == len(early)
    assert revenue("2026-03-06") == sum(e["data"]["total"] for e in early)
    assert sum(revenue(day) for day in days) == expected
    assert days["2026-03-07"]["converted"] == 0  # the second orders convert no one

    # And the chart is a PNG
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _holdout_conversions(result: dict[str, Any]) -> int:
    rate = result["holdout_conversion_rate"]
    return round(rate * result["held_out"]) if rate is not None else 0


def test_stats_for_people_show_revenue_and_arms(
    brand: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    table, _ = brand
    capsys.readouterr()
    assert main(["stats", "spring-ab", "--table", table, "--from", "2026-03-05",
                 "--to", "2026-03-06"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "conversion revenue" in out
    assert "A/B arms" in out
    assert "Per day (Asia/Taipei)" in out
    assert "2026-03-05" in out and "2026-03-06" in out
    assert "2026-03-07" not in out


def test_a_backwards_range_is_refused(
    brand: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    table, _ = brand
    assert main(["stats", "spring-ab", "--table", table,
                 "--from", "2026-03-10", "--to", "2026-03-01"]) == 2  # fmt: skip
    assert "after" in capsys.readouterr().err
