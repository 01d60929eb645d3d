"""LINE figures of issue 17 that need no year: rich menu linking at scale.

- `line.richmenu_link_requests_per_1000_members`: a segment bound to a rich menu that
  10,000 friends enter at the same moment (a time-driven segment, "friends for a
  day": every member's recheck timer falls due in one scheduled tick) through the whole
  simulated pipeline — evaluator, LINE queue, sender, the fake LINE's bulk endpoint —
  as bulk link requests per 1,000 members (LINE takes 500 users a request, so 2 is
  the floor). Target ≤ 2.
- `line.richmenu_members_linked`: members the fake LINE has the menu linked for (all
  10,000: nobody is lost between the evaluator and LINE).
- `line.richmenu_link_seconds`: wall time of the simulation (this machine).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MEMBERS = int(os.environ.get("KAIROS_BENCH_RICHMENU_MEMBERS", "10000"))
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

TARGETS: dict[str, tuple[str, float]] = {
    "richmenu_link_requests_per_1000_members": ("<=", 2.0),
}

MENU = """\
id: friends-menu
name: Friends
chat_bar_text: 選單
size: {width: 2500, height: 843}
areas:
  - bounds: {x: 0, y: 0, width: 2500, height: 843}
    action: {type: message, text: hi}
"""


def _project(root: Path) -> None:

    spec = _png_module()
    (root / "richmenus").mkdir(parents=True)
    (root / "segments").mkdir()
    (root / "richmenus" / "friends-menu.yaml").write_text(MENU, encoding="utf-8")
    (root / "richmenus" / "friends-menu.png").write_bytes(spec.png(2500, 843, [(1, 2, 3)]))
    (root / "segments" / "friends-a-day.yaml").write_text(
        "id: friends-a-day\nname: friends for a day\n"
        "where: {field: profile.joined_at, older_than_days: 1}\n",
        encoding="utf-8",
    )
    (root / "kairos.yaml").write_text(
        "timezone: Asia/Taipei\nrichmenus:\n  - {segment: friends-a-day, menu: friends-menu}\n",
        encoding="utf-8",
    )


def _png_module() -> Any:
    import importlib.util

    path = Path(__file__).parents[1] / "examples" / "richmenus" / "make_images.py"
    spec = importlib.util.spec_from_file_location("make_images", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run() -> dict[str, float]:
    from kairos_dev.local.simulator import Simulation, load_inputs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "brand"
        _project(root)
        events = [
            {
                "id": f"f{i}",
                "type": "line.follow",
                "time": T0.isoformat(),
                "member": {"line_user_id": f"U{i:032x}"},
                "data": {},
            }
            for i in range(MEMBERS)
        ]
        events_file = Path(tmp) / "events.jsonl"
        events_file.write_text("\n".join(json.dumps(e) for e in events) + "\n", "utf-8")
        until = T0 + timedelta(days=3)
        loaded, start = load_inputs(events_file, until)
        saved = dict(os.environ)
        started = time.perf_counter()
        simulation = Simulation.start(str(root), start)
        try:
            simulation.run(loaded, until)
        finally:
            simulation.stop()
            os.environ.clear()
            os.environ.update(saved)
        seconds = time.perf_counter() - started
        fake = simulation._fake_line
        assert fake is not None
        requests = [n for kind, n in fake.menus.bulk_requests if kind == "link"]
        linked = len(fake.menus.links)
    return {
        "richmenu_link_requests_per_1000_members": round(len(requests) / max(linked, 1) * 1000, 3),
        "richmenu_members_linked": float(linked),
        "richmenu_link_seconds": round(seconds, 2),
    }


if __name__ == "__main__":
    print(run())
