"""The console's journey page logic without a store: which days a period covers in the
brand's zone, and a journey's graph with its counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kairos.console.journeys import period
from kairos.members.service import InvalidRequest
from kairos.project import load_project
from kairos.reports.graph import END_NODE, START_NODE, journey_graph
from tests.e2e.journey_builder import BrandProject

TAIPEI = ZoneInfo("Asia/Taipei")


def test_a_period_defaults_to_the_last_30_brand_days() -> None:
    # 20:00 UTC on 3/9 is already 3/10 in Taipei
    now = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    assert period({}, now, TAIPEI) == (date(2026, 2, 9), date(2026, 3, 10))
    assert period({"from": "2026-03-01"}, now, TAIPEI) == (date(2026, 3, 1), date(2026, 3, 10))


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"from": "2026-03-05", "to": "2026-03-01"}, "is after"),
        ({"to": "10/3"}, "is not a day"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, "more than 400 days"),
    ],
)
def test_a_bad_period_is_refused(query: dict[str, str], says: str) -> None:
    with pytest.raises(InvalidRequest, match=says):
        period(query, datetime(2026, 3, 9, tzinfo=UTC), TAIPEI)


def test_the_graph_carries_counts_edges_and_who_waits(tmp_path: Path) -> None:
    project = BrandProject(tmp_path)
    project.template("hi", line="hi")
    project.journey("""
        id: j
        trigger: {event: line.follow}
        exit_on: [{event: order.created}]
        steps:
          - id: ask
            branch:
              cases: [{when: {field: profile.city, eq: 台北}, goto: hi}]
          - {id: rest, wait: {days: 2}}
          - {id: hi, send: {channel: line, template: hi}}
    """)
    journey = load_project(str(project.root)).journeys["j"]
    counters = {"-": {"entered": 10, "converted": 3, "completed": 4},
                "ask": {"entered": 10, "case-0": 6, "else": 4},
                "hi": {"entered": 6, "sent": 5, "delivered": 5, "opened": 2}}  # fmt: skip
    graph = journey_graph(journey, counters, {"rest": 4})
    nodes = {n.id: n for n in graph.nodes}
    assert nodes[START_NODE].detail == "on line.follow"
    assert nodes["hi"].counts == {"entered": 6, "sent": 5, "delivered": 5, "opened": 2,
                                  "clicked": 0, "converted": 0, "waiting": 0}  # fmt: skip
    assert nodes["rest"].counts["waiting"] == 4
    assert nodes[END_NODE].counts["entered"] == 4
    assert nodes["_converted"].counts["converted"] == 3
    edges = {(e.source, e.target): (e.label, e.count) for e in graph.edges}
    assert edges[("ask", "hi")] == ("profile.city = 台北", 6)
    assert edges[("ask", "rest")] == ("else", 4)
    assert edges[("rest", "hi")] == ("", None)
    assert edges[("hi", END_NODE)] == ("", None)
