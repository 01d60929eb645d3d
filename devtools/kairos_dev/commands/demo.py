"""`kairos demo [DIR]`: what `make demo` runs.

With a brand project (DIR with events.jsonl): a year of it in virtual time, printed as a
timeline and journey funnels. `--ingest`: the foundation demo — signed LINE, shop and
canonical events over HTTP to a local stack, and the members they made.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the example brand in virtual time and show who got what, when, why"
    )
    parser.add_argument("project", metavar="DIR", nargs="?", default="examples")
    parser.add_argument(
        "--until", default="2027-01-01T00:00:00+08:00", help="end of the simulation (ISO 8601)"
    )
    parser.add_argument(
        "--ingest", action="store_true", help="only the webhook-to-member-profile demo"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.ingest:
        from kairos_dev.local.demo import run_foundation_demo

        return run_foundation_demo(args.project)
    from kairos_dev.local.journey_demo import run_journey_demo

    return run_journey_demo(args.project, datetime.fromisoformat(args.until))
