"""`kairos demo [DIR]`: what `make demo` runs."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="post realistic signed events to a local stack and show the members"
    )
    parser.add_argument("project", metavar="DIR", nargs="?", default=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kairos.local.demo import run_foundation_demo

    return run_foundation_demo(args.project)
