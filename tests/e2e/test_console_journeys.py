"""The console's journeys and segments API through the real webhook handler, on the
memory backend after a simulated month: the list with period figures, a journey's
graph with per-step counts and its results, who waits at a step, segments with sizes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.simulator import Simulation, load_events
from tests.e2e.journey_builder import BrandProject, at, follow, order, profile

JOURNEY = """
    id: welcome
    name: 新朋友歡迎
    trigger: {event: line.follow}
    exit_on: [{event: order.created}]
    steps:
      - id: pick
        split:
          - {weight: 50, goto: hello}
          - {weight: 50, goto: coupon}
      - {id: hello, send: {channel: line, template: hello}, next: rest}
      - {id: coupon, send: {channel: line, template: coupon}}
      - {id: rest, name: 等二十天, wait: {days: 20}}
"""
NOW = datetime.fromisoformat(at("2026-03-10T12:00"))
MARKETER = {"cognito:username": "ana", "email": "ana@brand.example", "cognito:groups": "marketer"}


@pytest.fixture(scope="module")
def brand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulation]:
    """Given 6 friends who followed on 3/1-3/3 (Taipei), 2 of whom ordered on 3/5; a
    segment of buyers; and it is 3/10, before the journey's 20-day wait ends."""
    root = tmp_path_factory.mktemp("console")
    project = BrandProject(root)
    project.template("hello", line="歡迎")
    project.template("coupon", line="九折")
    project.journey(JOURNEY)
    project.segment("buyers", {"field": "stats.order_count", "gte": 1})
    project.segment("everyone", {"field": "profile.line_following", "eq": True})
    events = [follow(f"U{i:02d}", f"2026-03-0{1 + i % 3}T10:00") for i in range(6)]
    events += [profile(f"U{i:02d}", "2026-03-04T09:00", name=f"會員{i}") for i in range(6)]
    events += [
        order("U00", "2026-03-05T12:00", total=1200),
        order("U01", "2026-03-05T13:00", total=800),
    ]
    path = root / "events.jsonl"
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events), encoding="utf-8")
    saved = dict(os.environ)
    loaded = load_events(path)
    simulation = Simulation.start(str(project.root), loaded[0].time, backend="memory")
    try:
        simulation.run(loaded, NOW)
        yield simulation
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)


def call(sim: Simulation, path: str, claims: dict[str, str] | None = None) -> tuple[int, Any]:
    event = proxy_event("GET", f"/console/api/{path}", {}, b"", int(NOW.timestamp() * 1000))
    event["requestContext"]["authorizer"] = {"claims": claims or MARKETER}
    result = sim.host.invoke("webhook", event)
    headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
    if result["statusCode"] in (200, 404):
        assert headers.get("Cache-Control") == "no-store"
    return int(result["statusCode"]), json.loads(result["body"])


def test_the_list_counts_each_journey_over_the_period(brand: Simulation) -> None:
    # When a marketer lists journeys over 3/1-3/3, then 3/4-3/9
    status, early = call(brand, "journeys?from=2026-03-01&to=2026-03-03")
    _, late = call(brand, "journeys?from=2026-03-04&to=2026-03-09")

    # Then the entries fall in the first period, the conversions in the second
    assert status == 200
    assert early["period"] == {"from": "2026-03-01", "to": "2026-03-03", "zone": "Asia/Taipei"}
    (row,) = early["items"]
    assert (row["id"], row["name"], row["trigger"]) == ("welcome", "新朋友歡迎", "on line.follow")
    assert (row["entered"], row["converted"]) == (6, 0)
    assert (late["items"][0]["entered"], late["items"][0]["converted"]) == (0, 2)
    # And "active" is who is in the journey now, whatever the period
    assert row["active"] == late["items"][0]["active"] == 4


def test_a_journey_shows_its_graph_counts_and_results(brand: Simulation) -> None:
    status, page = call(brand, "journeys/welcome?from=2026-03-01&to=2026-03-07")
    assert status == 200
    nodes = {n["id"]: n for n in page["graph"]["nodes"]}
    assert list(nodes) == ["_start", "pick", "hello", "coupon", "rest", "_end", "_converted"]
    assert nodes["rest"]["label"] == "等二十天" and nodes["rest"]["detail"] == "wait 20 days"
    assert nodes["hello"]["detail"] == "send line: hello"
    # Every friend passed the split; each send step sent to its arm
    assert nodes["pick"]["counts"]["entered"] == 6
    sent = nodes["hello"]["counts"]["sent"] + nodes["coupon"]["counts"]["sent"]
    assert sent == 6
    # The four who did not order wait at the 20-day wait now
    assert nodes["rest"]["counts"]["waiting"] == 4
    assert nodes["_converted"]["counts"]["converted"] == 2
    edges = {(e["from"], e["to"]): e for e in page["graph"]["edges"]}
    arms = [edges[("pick", "hello")], edges[("pick", "coupon")]]
    assert [e["label"] for e in arms] == ["50%", "50%"]
    assert sum(e["count"] for e in arms) == 6
    assert ("coupon", "rest") in edges and ("rest", "_end") in edges
    # And the results are kairos stats' figures
    assert page["funnel"]["entered"] == 6 and page["funnel"]["converted"] == 2
    assert page["revenue"]["total"] == 2000
    assert sum(a["entered"] for a in page["arms"]) == 6
    assert page["holdout"]["held_out"] == 0 and page["holdout"]["lift"] is None
    days = {d["day"]: d for d in page["series"]}
    assert len(days) == 7 and days["2026-03-05"]["converted"] == 2
    assert days["2026-03-05"]["revenue"] == 2000


def test_a_journey_shows_its_months_line_messages_and_lines_steps_unread(
    brand: Simulation,
) -> None:
    # When a marketer opens the journey on 3/10 (this month) and asks for February
    _, page = call(brand, "journeys/welcome")
    _, february = call(brand, "journeys/welcome?month=2026-02")
    # Then March has the six welcomes the sender counted, each billed (a push or a
    # multicast) or free (a reply to the follow); February none
    bill = page["month"]
    assert bill["month"] == "2026-03"
    assert bill["line_billed"] + bill["line_free"] == 6
    assert (bill["email"], bill["sms"]) == (0, 0)
    assert [p["plan"] for p in bill["plans"]] == ["light", "medium", "high"]
    assert february["month"]["line_billed"] + february["month"]["line_free"] == 0
    # And the LINE steps have no figures from LINE yet (nobody read them), other steps none
    nodes = {n["id"]: n for n in page["graph"]["nodes"]}
    for step in ("hello", "coupon"):
        line = nodes[step]["line"]
        assert line["read_at"] is None and line["line_opened"] is None
        assert not line["line_opened_hidden"] and not line["line_clicked_hidden"]
    assert nodes["rest"]["line"] is None and nodes["pick"]["line"] is None


def test_members_waiting_at_a_step_page_with_their_wait(brand: Simulation) -> None:
    status, first = call(brand, "journeys/welcome/steps/rest/members?limit=3")
    assert status == 200
    assert len(first["items"]) == 3 and first["next"]
    _, second = call(brand, f"journeys/welcome/steps/rest/members?limit=3&cursor={first['next']}")
    waiting = first["items"] + second["items"]
    assert len(waiting) == 4 and second["next"] is None
    assert len({m["member_id"] for m in waiting}) == 4
    for member in waiting:
        assert member["state"] == "waiting" and member["waiting_for"] == "wait"
        assert member["name"].startswith("會員")
        # The wait ends 20 days after the member reached it, shown in Taipei time
        until = datetime.fromisoformat(member["waiting_until"])
        assert member["waiting_until"].endswith("+08:00")
        assert 19 <= (until - datetime.fromisoformat(member["entered_at"])).days <= 20


def test_segments_show_their_size_and_members(brand: Simulation) -> None:
    status, listed = call(brand, "segments")
    assert status == 200
    sizes = {s["id"]: (s["size"], s["size_exact"]) for s in listed["items"]}
    assert sizes == {"buyers": (2, True), "everyone": (6, True)}
    _, page = call(brand, "segments/everyone?limit=4")
    assert page["size"] == 6 and len(page["items"]) == 4 and page["next"]
    _, rest = call(brand, f"segments/everyone?limit=4&cursor={page['next']}")
    assert len(rest["items"]) == 2 and rest["next"] is None
    _, buyers = call(brand, "segments/buyers")
    assert sorted(m["total_spent"] for m in buyers["items"]) == [800, 1200]
    assert all(m["order_count"] == 1 for m in buyers["items"])


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("journeys/nope", 404, "no journey nope"),
        ("journeys/welcome/steps/nope/members", 404, "no step nope in journey welcome"),
        ("journeys/nope/steps/rest/members", 404, "no journey nope"),
        ("segments/nope", 404, "no segment nope"),
        ("journeys?from=2026-03-09&to=2026-03-01", 400, "is after"),
        ("journeys?from=March", 400, "is not a day"),
        ("journeys/welcome?month=2026-3", 400, "is not a month"),
        ("journeys/welcome/steps/rest/members?cursor=garbage", 400, "cursor"),
        ("segments/everyone?limit=0", 400, "limit"),
    ],
)
def test_unknown_names_and_bad_queries_are_named(
    brand: Simulation, path: str, status: int, says: str
) -> None:
    got, body = call(brand, path)
    assert got == status
    assert says in body["error"]
