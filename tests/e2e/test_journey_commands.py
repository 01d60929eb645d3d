"""`kairos journeys show` and `kairos stats` on a simulated brand."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from kairos_dev.cli import main
from kairos_dev.local.simulator import Simulation, load_events
from tests.e2e.journey_builder import BrandProject, at


def test_who_waits_where_and_the_funnel_with_holdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a journey with a holdout that waits a week after an order, then sends
    project = BrandProject(tmp_path)
    project.template("thanks", line="謝謝你的訂單！")
    project.journey("""
        id: thank-you
        name: 感謝
        trigger: {event: order.created}
        holdout: 50
        exit_on: [{event: coupon.redeemed}]
        steps:
          - {id: wait-2, wait: {days: 2}}
          - {id: thanks, send: {channel: line, template: thanks}}
          - {id: wait-30, wait: {days: 30}}
    """)
    events = []
    for i in range(12):
        events.append(
            {
                "id": f"o{i}",
                "type": "order.created",
                "time": at(f"2026-03-0{1 + i % 5}T10:00"),
                "member": {"line_user_id": f"U{i}"},
                "data": {"order_id": f"A{i}", "total": 100},
            }
        )
    events.append(
        {
            "id": "r0",
            "type": "coupon.redeemed",
            "time": at("2026-03-10T10:00"),
            "member": {"line_user_id": "U0"},
            "data": {"coupon_id": "c"},
        }
    )
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events), encoding="utf-8")
    saved = dict(os.environ)
    loaded = load_events(path)
    simulation = Simulation.start(str(project.root), loaded[0].time, backend="emulator")
    try:
        # When the brand runs until mid-March
        simulation.run(loaded, datetime.fromisoformat(at("2026-03-15T00:00")))
        table = simulation.stack.tables["main"]

        # Then everyone still in the journey waits at wait-30
        capsys.readouterr()
        assert main(["journeys", "show", "thank-you", "--table", table, "--json"]) == 0
        waiting = json.loads(capsys.readouterr().out)
        assert {row["step"] for row in waiting} == {"wait-30"}
        assert len(waiting) == 11  # U0 redeemed a coupon: converted and gone

        # And the funnel counts entries, the control group and sends
        assert main(["stats", "thank-you", "--table", table, "--json"]) == 0
        stats = json.loads(capsys.readouterr().out)
        assert stats["entered"] == 12
        assert 0 < stats["held_out"] < 12
        assert stats["converted"] == 1
        sent = stats["steps"]["thanks"].get("sent", 0)
        assert sent == 12 - stats["held_out"]
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)
