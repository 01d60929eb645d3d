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
- `line.billable_share`: of the example brand's LINE messages over its simulated year
  (`examples/`, the memory backend, the fake LINE), the share LINE bills (pushes and
  multicasts); the rest went as free replies — welcomes on the follow, quiz answers.
  `line.replied` and `line.billed` are the two counts.
- `line.replies_fallen_back`: sends offered a reply token that went by push instead,
  and `line.replies_fallen_back.<reason>` per reason (docs/sender.md, "Replies").
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
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


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)


def run() -> dict[str, float]:
    return {**richmenu_links(), **replies_in_a_year()}


def replies_in_a_year() -> dict[str, float]:
    """The example year's LINE deliveries by how they went (a benchmark may scan)."""
    from kairos_dev.local.simulator import Simulation, load_inputs

    events, start = load_inputs(EXAMPLES / "events.jsonl", YEAR_END, EXAMPLES / "members.csv")
    saved = dict(os.environ)
    simulation = Simulation.start(str(EXAMPLES), start)
    try:
        simulation.run(events, YEAR_END)
        records = _line_deliveries(simulation)
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)
    replied = sum(1 for r in records if r.get("via") == "reply")
    billed = len(records) - replied
    reasons = Counter(str(r["reply_fallback"]) for r in records if r.get("reply_fallback"))
    figures = {
        "billable_share": round(billed / max(len(records), 1), 3),
        "replied": float(replied),
        "billed": float(billed),
        "replies_fallen_back": float(sum(reasons.values())),
    }
    for reason, n in sorted(reasons.items()):
        figures[f"replies_fallen_back.{reason.replace(' ', '_')}"] = float(n)
    return figures


def _line_deliveries(simulation: Any) -> list[dict[str, Any]]:
    from kairos.store.codec import from_item

    client = simulation.stack.client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": simulation.stack.tables["main"],
        "FilterExpression": "sk = :d AND channel = :l AND #s = :sent",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {
            ":d": {"S": "DELIVERY"}, ":l": {"S": "line"}, ":sent": {"S": "sent"},
        },
    }  # fmt: skip
    found: list[dict[str, Any]] = []
    while True:
        page = client.scan(**kwargs)
        found += [from_item(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def richmenu_links() -> dict[str, float]:
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
