"""`kairos journeys show JOURNEY` and `kairos stats JOURNEY`: who waits where, and the
per-step funnel with holdout lift."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any


def register(subparsers: Any) -> None:
    journeys = subparsers.add_parser("journeys", help="look at running journeys")
    actions = journeys.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show", help="who is waiting at which step of a journey, and until when"
    )
    show.add_argument("journey")
    show.add_argument("--table", help="main table name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)

    stats = subparsers.add_parser("stats", help="a journey's per-step funnel and holdout lift")
    stats.add_argument("journey")
    stats.add_argument("--table", help="main table name")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=run_stats)


def _store(table: str | None) -> Any:
    from kairos.store.enrolments import EngineStore
    from kairos_dev.commands.members import repository

    members = repository(table)
    return EngineStore(members.table, members.client)


def run_show(args: argparse.Namespace) -> int:
    store = _store(args.table)
    live = sorted(store.waiting(args.journey), key=lambda e: (e.step or "", e.member_id))
    rows = [
        {
            "member_id": e.member_id,
            "step": e.step,
            "state": e.state,
            "waiting_for": e.pending,
            "until": e.wait_until.isoformat() if e.wait_until else None,
            "entered_at": e.entered_at.isoformat(),
            "version": e.journey_version,
            "holdout": e.holdout,
        }
        for e in live
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    from kairos_dev.local.display import console

    by_step: dict[str, int] = defaultdict(int)
    for row in rows:
        by_step[str(row["step"])] += 1
    table = Table(title=f"{args.journey}: {len(rows)} members in the journey", title_justify="left")
    for column in ("step", "member", "waiting for", "until (UTC)", "entered", "version"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row['step']} ({by_step[str(row['step'])]})",
            str(row["member_id"]),
            str(row["waiting_for"] or "—"),
            str(row["until"] or "—")[:19],
            str(row["entered_at"])[:19],
            str(row["version"]),
        )
    console.print(table)
    return 0


def funnel(counters: dict[str, dict[str, int]]) -> dict[str, Any]:
    journey = counters.get("-", {})
    entered = journey.get("entered", 0)
    held = journey.get("held_out", 0)
    converted = journey.get("converted", 0)
    converted_holdout = journey.get("converted_holdout", 0)
    treated = entered - held
    treated_rate = (converted - converted_holdout) / treated if treated else None
    holdout_rate = converted_holdout / held if held else None
    lift = None
    if treated_rate is not None and holdout_rate is not None:
        lift = treated_rate - holdout_rate
    return {
        "entered": entered,
        "held_out": held,
        "converted": converted,
        "completed": journey.get("completed", 0),
        "exited": journey.get("exited", 0),
        "conversion_rate": treated_rate,
        "holdout_conversion_rate": holdout_rate,
        "lift": lift,
        "steps": {k: v for k, v in sorted(counters.items()) if k != "-"},
    }


def run_stats(args: argparse.Namespace) -> int:
    store = _store(args.table)
    result = funnel(store.counters(args.journey))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if not result["entered"] and not result["steps"]:
        print(f"no activity for journey {args.journey}", file=sys.stderr)
        return 1
    from rich.table import Table

    from kairos_dev.local.display import console

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    console.print(
        f"[bold]{args.journey}[/]: entered {result['entered']} "
        f"(holdout {result['held_out']}), converted {result['converted']}, "
        f"conversion {pct(result['conversion_rate'])} vs holdout "
        f"{pct(result['holdout_conversion_rate'])}, lift {pct(result['lift'])}"
    )
    names = sorted({n for counts in result["steps"].values() for n in counts})
    table = Table(title="Per-step funnel", title_justify="left")
    table.add_column("step")
    for name in names:
        table.add_column(name, justify="right")
    for step, counts in result["steps"].items():
        table.add_row(step, *(str(counts.get(n, "")) for n in names))
    console.print(table)
    return 0
