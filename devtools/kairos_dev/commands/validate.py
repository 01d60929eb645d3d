"""`kairos validate DIR`: load and check a brand project; exit 1 listing every problem.

With a stack's SES identity (`--email-identity`, or `kairos:emailIdentity` in ./cdk.json
when its `kairos:project` is DIR) it also checks that the identity may send as
`channels.email.from`, as `cdk synth` does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
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
    parser.add_argument(
        "--email-identity",
        metavar="IDENTITY",
        help="the stack's SES identity (kairos:emailIdentity); default: ./cdk.json's, "
        "when it deploys DIR",
    )
    parser.set_defaults(func=run)


def configured_identity(directory: str, cdk_json: Path = Path("cdk.json")) -> str | None:
    """`kairos:emailIdentity` from cdk.json, if that app deploys this project directory."""
    if not cdk_json.is_file():
        return None
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    identity, project = context.get("kairos:emailIdentity"), context.get("kairos:project")
    if not identity or not project:
        return None
    same = (cdk_json.parent / project).resolve() == Path(directory).resolve()
    return str(identity) if same else None


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
    identity = args.email_identity or configured_identity(args.directory)
    if identity:
        from kairos.delivery.identity import IdentityMismatch, resolve_identity, sender_address

        sender = project.settings.channels.email.from_
        try:
            resolve_identity(identity, sender)
        except IdentityMismatch as exc:
            reason = f"kairos.yaml: channels.email.from: {exc}"
            if args.json:
                answer = {"valid": False, "problems": [{"file": "kairos.yaml", "reason": reason}]}
                print(json.dumps(answer, ensure_ascii=False, indent=2))
                return 1
            print(reason, file=sys.stderr)
            print("1 problem: not valid", file=sys.stderr)
            return 1
        if not args.json:
            print(f"SES identity {identity} may send as {sender_address(sender)}")
    if args.json:
        answer = {"valid": True, "version": project.version, "summary": project.summary(),
                  "journeys": sorted(project.journeys), "problems": []}  # fmt: skip
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    print(f"{project.summary()}: valid (version {project.version})")
    return 0
