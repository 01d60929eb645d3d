"""`kairos journeys show|diagram JOURNEY` and `kairos stats JOURNEY`: who waits where,
the journey as a Mermaid flowchart, and its results (funnel, holdout lift, conversion
revenue, A/B arms, a per-day series and chart). Times are in the brand's time zone."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kairos_dev.brand import brand_zone, engine_store, local_time


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day (YYYY-MM-DD)") from None


def register(subparsers: Any) -> None:
    journeys = subparsers.add_parser("journeys", help="look at running journeys")
    actions = journeys.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show", help="who is waiting at which step of a journey, and until when"
    )
    show.add_argument("journey")
    show.add_argument("--table", help="main table name")
    show.add_argument("--project", metavar="DIR", help="brand project (for its time zone)")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.set_defaults(func=run_show)

    diagram = actions.add_parser(
        "diagram",
        help="the journey as a Mermaid flowchart, with each step's counts when a store is found",
        description=(
            "Writes a Mermaid flowchart (GitHub and most editors render it): the trigger, "
            "every step, waits, branches with their conditions, splits with their weights, "
            "goals and exits. When a table is found (--table, KAIROS_TABLE, or a running "
            "`kairos local` here) each step carries its counters."
        ),
    )
    diagram.add_argument("journey")
    diagram.add_argument("--project", metavar="DIR", help="brand project (default: .)")
    diagram.add_argument("--out", type=Path, metavar="FILE.mmd", help="default: standard output")
    diagram.add_argument("--table", help="main table name (for counts)")
    diagram.add_argument("--no-counts", action="store_true", help="do not read the store")
    diagram.set_defaults(func=run_diagram)

    stats = subparsers.add_parser(
        "stats",
        help="a journey's funnel, holdout lift, conversion revenue, A/B arms, per-day series",
        description=(
            "Conversion revenue is the order total of every member who reached an "
            "`order.created` goal inside the journey. --from/--to add one row per day "
            "(the brand's days, kairos.yaml timezone); --plot draws them as a PNG."
        ),
    )
    stats.add_argument("journey", nargs="?", help="the journey (not with --cost)")
    stats.add_argument(
        "--cost",
        action="store_true",
        help="the month's messages per journey, billed and free, and its price under each "
        "Taiwan LINE plan (with LINE's own count when a token is configured)",
    )
    stats.add_argument("--month", type=_month, metavar="YYYY-MM", help="with --cost")
    stats.add_argument(
        "--refresh-line-units",
        action="store_true",
        help="read LINE's opens and clicks of every LINE step (last 14 days) and keep them; "
        "run at most daily",
    )
    stats.add_argument("--line-secret", help="secret holding the LINE token (--cost, --refresh)")
    stats.add_argument("--table", help="main table name")
    stats.add_argument("--project", metavar="DIR", help="brand project (time zone, arm labels)")
    stats.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD")
    stats.add_argument("--to", dest="last", type=_day, metavar="YYYY-MM-DD")
    stats.add_argument("--plot", type=Path, metavar="FILE.png", help="chart of the day series")
    stats.add_argument("--json", action="store_true", help="print JSON instead of tables")
    stats.set_defaults(func=run_stats)


def run_show(args: argparse.Namespace) -> int:
    from kairos.reports.waiting import waiting_rows

    store = engine_store(args.table)
    zone = brand_zone(args.project)
    rows = waiting_rows(store.waiting(args.journey), zone)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    from kairos_dev.local.display import console

    by_step: dict[str, int] = defaultdict(int)
    for row in rows:
        by_step[str(row["step"])] += 1
    table = Table(title=f"{args.journey}: {len(rows)} members in the journey", title_justify="left")
    for column in ("step", "member", "waiting for", f"until ({zone.key})", "entered", "version"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row['step']} ({by_step[str(row['step'])]})",
            str(row["member_id"]),
            str(row["waiting_for"] or "—"),
            local_time(row["until"], zone) or "—",
            local_time(row["entered_at"], zone),
            str(row["version"]),
        )
    console.print(table)
    return 0


def _project_journey(project: str | None, journey_id: str) -> Any:
    """The compiled journey from the project, or None when there is no project."""
    import os

    from kairos.project import load_project

    directory = project or os.environ.get("KAIROS_PROJECT_DIR")
    if directory is None:
        return None
    return load_project(directory).journeys.get(journey_id)


def run_diagram(args: argparse.Namespace) -> int:
    import os

    from kairos.project import ProjectError, load_project
    from kairos_dev.diagram import mermaid

    directory = args.project or os.environ.get("KAIROS_PROJECT_DIR") or "."
    try:
        project = load_project(directory)
    except ProjectError as exc:
        print(f"{directory}: not a valid project ({len(exc.problems)} problems); "
              f"run `kairos validate {directory}`", file=sys.stderr)  # fmt: skip
        return 1
    journey = project.journeys.get(args.journey)
    if journey is None:
        known = ", ".join(sorted(project.journeys)) or "none"
        print(f"no journey {args.journey} in {directory} (journeys: {known})", file=sys.stderr)
        return 1
    counters = None if args.no_counts else _counters_if_reachable(args.table, args.journey)
    text = mermaid(journey, counters)
    if args.out is None:
        print(text, end="")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    counted = "with counts" if counters else "without counts (no store found)"
    print(f"{args.out}: {args.journey}, {len(journey.steps)} steps, {counted}")
    return 0


def _counters_if_reachable(table: str | None, journey_id: str) -> dict[str, Any] | None:
    """The journey's counters when a store is configured; a diagram without counts (and
    a line saying why) when it is not, or does not answer."""
    from kairos_dev.errors import aws_problem

    try:
        counters: dict[str, Any] = engine_store(table).counters(journey_id)
    except SystemExit:
        return None  # no table configured: a plan, not a report
    except Exception as exc:
        problem = aws_problem(exc)
        if problem is None:
            raise
        print(f"counts left out: {problem}", file=sys.stderr)
        return None
    return counters


def _month(value: str) -> str:
    try:
        return datetime.strptime(value, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month (YYYY-MM)") from None


def run_stats(args: argparse.Namespace) -> int:
    from kairos_dev.stats import funnel, plot, series

    if args.cost:
        from kairos_dev.cost_view import run_cost

        return run_cost(args)
    if args.refresh_line_units:
        from kairos_dev.cost_view import run_refresh_units

        return run_refresh_units(args)
    if args.journey is None:
        print("kairos stats: name a journey, or ask for --cost", file=sys.stderr)
        return 2

    store = engine_store(args.table)
    zone = brand_zone(args.project)
    result = funnel(store.counters(args.journey), _project_journey(args.project, args.journey))
    result["time_zone"] = zone.key
    result["line"] = _line_units(store, args.journey)
    if args.first or args.last or args.plot:
        last = args.last or datetime.now(zone).date()
        first = args.first or date.fromordinal(last.toordinal() - 29)
        if first > last:
            print(f"--from {first} is after --to {last}", file=sys.stderr)
            return 2
        result["days"] = series(store, args.journey, first, last, zone)
        if args.plot:
            plot(result["days"], f"{args.journey} ({first} – {last}, {zone.key})", args.plot)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if not result["entered"] and not result["steps"]:
        print(f"no activity for journey {args.journey}", file=sys.stderr)
        return 1
    _print_stats(args.journey, result)
    if args.plot:
        print(f"chart written to {args.plot}")
    return 0


def _line_units(store: Any, journey: str) -> dict[str, Any]:
    """LINE's unit statistics kept beside the journey's counters (kairos.store.line_units)."""
    from kairos.store.line_units import LineUnitStore

    found: dict[str, Any] = LineUnitStore(store.table, store.client).unit_stats(journey)
    return found


def _print_line_units(units: dict[str, Any]) -> None:
    from rich.table import Table

    from kairos.reports.line_units import shown
    from kairos_dev.local.display import console

    title = "LINE's own counts (unique people, last 14 days; LINE hides fewer than 20)"
    table = Table(title=title, title_justify="left")
    for column in ("step", "opened", "clicked", "read at"):
        table.add_column(column, justify="left" if column in ("step", "read at") else "right")
    for step, counts in sorted(units.items()):
        opened, clicked = shown(counts.get("opened")), shown(counts.get("clicked"))
        table.add_row(step, opened, clicked, str(counts.get("read_at", "")))
    console.print(table)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _print_stats(journey: str, result: dict[str, Any]) -> None:
    from rich.table import Table

    from kairos_dev.local.display import console

    console.print(
        f"[bold]{journey}[/]: entered {result['entered']} "
        f"(holdout {result['held_out']}), converted {result['converted']}, "
        f"conversion {_pct(result['conversion_rate'])} vs holdout "
        f"{_pct(result['holdout_conversion_rate'])}, lift {_pct(result['lift'])}"
    )
    console.print(
        f"conversion revenue {result['revenue']:,} "
        f"(per conversion {result['revenue_per_conversion'] or '—'}; "
        f"control group {result['revenue_holdout']:,})"
    )
    if result["arms"]:
        arms = Table(title="A/B arms", title_justify="left")
        for column in ("split", "arm", "to", "weight", "entered", "converted", "rate", "revenue"):
            arms.add_column(column, justify="left" if column in ("split", "to") else "right")
        for arm in result["arms"]:
            weight = "—" if arm["weight"] is None else f"{arm['weight']:g}%"
            arms.add_row(arm["split"], str(arm["arm"]), arm["goto"] or "—", weight,
                         str(arm["entered"]), str(arm["converted"]),
                         _pct(arm["conversion_rate"]), f"{arm['revenue']:,}")  # fmt: skip
        console.print(arms)
    names = sorted({n for counts in result["steps"].values() for n in counts})
    table = Table(title="Per-step funnel", title_justify="left")
    table.add_column("step")
    for name in names:
        table.add_column(name, justify="right")
    for step, counts in result["steps"].items():
        table.add_row(step, *(str(counts.get(n, "")) for n in names))
    console.print(table)
    if result.get("line"):
        _print_line_units(result["line"])
    if "days" in result:
        days = Table(title=f"Per day ({result['time_zone']})", title_justify="left")
        for column in ("day", "entered", "converted", "rate", "revenue", "completed", "exited"):
            days.add_column(column, justify="left" if column == "day" else "right")
        for row in result["days"]:
            days.add_row(row["day"], str(row["entered"]), str(row["converted"]),
                         _pct(row["conversion_rate"]), f"{row['revenue']:,}",
                         str(row["completed"]), str(row["exited"]))  # fmt: skip
        console.print(days)
