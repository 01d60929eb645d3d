"""`kairos validate DIR`: load and check a brand project; exit 1 listing every problem."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a project directory (kairos.yaml, journeys/, templates/, segments/)",
        description="Check every journey, template, segment and the settings; print all problems.",
    )
    parser.add_argument("directory", help="the brand project directory")
    parser.add_argument(
        "--json", action="store_true", help="print {valid, version, summary, problems} as JSON"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kairos.project import ProjectError, load_project

    try:
        project = load_project(args.directory)
    except ProjectError as exc:
        if args.json:
            problems = [dataclasses.asdict(p) for p in exc.problems]
            print(json.dumps({"valid": False, "problems": problems}, ensure_ascii=False, indent=2))
            return 1
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'' if count == 1 else 's'}: not valid", file=sys.stderr)
        return 1
    if args.json:
        answer = {"valid": True, "version": project.version, "summary": project.summary(),
                  "journeys": sorted(project.journeys), "problems": []}  # fmt: skip
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    print(f"{project.summary()}: valid (version {project.version})")
    return 0
