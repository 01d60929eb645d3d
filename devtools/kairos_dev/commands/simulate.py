"""`kairos simulate DIR --events EVENTS.jsonl --until TIME [--members CSV] [--out FILE]`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any


def _time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an offset, e.g. +08:00")
    return moment


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run the whole pipeline in virtual time and list every delivery attempt",
        description=(
            "Applies EVENTS.jsonl in time order (ties keep file order) through the real "
            "webhook, evaluator and sender, from the first event to --until, and writes one "
            "JSON line per delivery attempt. The memory backend (default) runs a year in "
            "seconds; --backend emulator makes every AWS call over HTTP to the embedded "
            "emulator, for fidelity checks."
        ),
    )
    parser.add_argument("project", metavar="DIR")
    parser.add_argument("--events", required=True, type=Path, metavar="EVENTS.jsonl")
    parser.add_argument("--until", required=True, type=_time, metavar="TIME")
    parser.add_argument("--members", type=Path, metavar="MEMBERS.csv")
    parser.add_argument("--out", type=Path, metavar="DELIVERIES.jsonl")
    parser.add_argument(
        "--backend",
        choices=("memory", "emulator"),
        default="memory",
        help="where the simulated AWS lives (default: memory)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kairos_dev.local.simulator import SimulationInputError, write_deliveries

    for path in (args.events, args.members):
        if path is not None and not path.exists():
            print(f"{path}: no such file", file=sys.stderr)
            return 1
    try:
        from kairos.project import ProjectError, load_project

        load_project(args.project)
    except ImportError:
        pass
    except ProjectError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        deliveries = _simulate_with_progress(args)
    except SimulationInputError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    write_deliveries(deliveries, args.out)
    if args.out is not None:
        print(f"{len(deliveries)} delivery attempts written to {args.out}", file=sys.stderr)
    return 0


def _simulate_with_progress(args: argparse.Namespace) -> list[Any]:
    """`simulator.simulate`, with a bar over the simulated days on standard error."""
    from kairos.clock import utc
    from kairos_dev.local.simulator import Simulation, load_inputs
    from kairos_dev.progress import progress_bar

    events, start = load_inputs(args.events, args.until, args.members)
    end = utc(args.until)
    days = max(1, (end - start).days)
    simulation = Simulation.start(args.project, start, args.backend)
    with progress_bar() as bar:
        task = bar.add_task("simulating days", total=days)

        def advance(moment: datetime, sent: int) -> None:
            bar.update(
                task,
                completed=min(days, (utc(moment) - start).days),
                description=f"simulating {moment:%Y-%m-%d}, {sent} deliveries",
            )

        simulation.progress = advance
        try:
            deliveries: list[Any] = simulation.run(events, args.until)
        finally:
            simulation.stop()
    return deliveries
