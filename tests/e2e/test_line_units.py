"""LINE's opens and clicks per step: every push and multicast of a step carries the
step's unit, the statistics job reads LINE's last 14 days per unit and keeps them
beside the step's counters, and numbers LINE hides (under 20) stay hidden as "< 20"."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from kairos.delivery.units import unit_name
from kairos.project import load_project
from kairos.reports.line_units import line_steps, refresh, shown
from kairos.richmenus.api import LineApi
from kairos.store.line_units import LineUnitStore
from kairos_dev.local.line_inprocess import InProcessApi
from kairos_dev.local.simulator import Simulation, load_inputs
from tests.e2e.journey_builder import BrandProject, at, follow


def test_opens_and_clicks_per_step_with_lines_small_counts_hidden(tmp_path: Path) -> None:
    # Given a welcome and a follow-up a day later, 40 friends and 10 of them tagged
    project = BrandProject(tmp_path)
    project.template("hello", line="歡迎！")
    project.template("again", line="再次歡迎 {{ profile.line_user_id }}")
    project.journey("""
        id: welcome
        trigger: {event: line.follow}
        steps:
          - {id: hello, send: {channel: line, template: hello}}
          - {wait: {days: 1}}
          - {id: again, send: {channel: line, template: again}}
    """)
    events = [follow(f"U-{i:02d}", "2026-03-02T10:00") for i in range(40)]
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    end = datetime.fromisoformat(at("2026-03-04"))
    loaded, start = load_inputs(events_file, end)
    saved = dict(os.environ)
    simulation = Simulation.start(str(project.root), start)
    try:
        simulation.run(loaded, end)
        fake = simulation._fake_line
        assert fake is not None
        # Then every message named its step's unit
        assert fake.menus.unit_recipients == {
            unit_name("welcome", "hello"): 40,
            unit_name("welcome", "again"): 40,
        }
        # When the statistics job runs
        steps = line_steps(load_project(project.root).journeys.values())
        store = LineUnitStore(simulation.stack.tables["main"], simulation.stack.client("dynamodb"))
        api = LineApi(InProcessApi(fake, lambda: fake.token))
        assert refresh(api, store, steps, end) == 2 == api.requests
        kept = store.unit_stats("welcome")
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)
    # Then each step has LINE's unique opens (24 of 40 in the fake), clicks hidden (4)
    assert steps == [("welcome", "again"), ("welcome", "hello")]
    assert kept["hello"]["opened"] == 24 and kept["hello"]["clicked"] is None
    assert kept["hello"]["from"] == "2026-02-19" and kept["hello"]["to"] == "2026-03-04"
    assert (shown(kept["hello"]["opened"]), shown(kept["hello"]["clicked"])) == ("24", "< 20")
