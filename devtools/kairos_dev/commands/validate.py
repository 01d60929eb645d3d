"""`kairos validate DIR`: load and check a brand project; exit 1 listing every problem."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a project directory (kairos.yaml, journeys/, templates/, segments/)",
        description="Check every journey, template, segment and the settings; print all problems.",
    )
    parser.add_argument("directory", help="the brand project directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kairos.project import ProjectError, load_project

    try:
        project = load_project(args.directory)
    except ProjectError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'' if count == 1 else 's'}: not valid", file=sys.stderr)
        return 1
    print(f"{project.summary()}: valid (version {project.version})")
    return 0
