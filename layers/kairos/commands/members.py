"""`kairos members show (ID | --line U… | --email … | --phone … | --external …)`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("members", help="look at members")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="profile, tags, stats and timeline of one member",
        description=(
            "Finds the table from --table, KAIROS_TABLE, or the running `kairos local` in "
            "this directory (.kairos/local.json)."
        ),
    )
    show.add_argument("member_id", nargs="?", help="member id (m-…)")
    who = show.add_mutually_exclusive_group()
    who.add_argument("--line", dest="line_user_id", help="LINE user id")
    who.add_argument("--email")
    who.add_argument("--phone")
    who.add_argument("--external", dest="external_id", help="shop customer id")
    show.add_argument("--table", help="main table name")
    show.add_argument("--json", action="store_true", help="print JSON instead of tables")
    show.add_argument("--limit", type=int, default=50, help="timeline entries (newest)")
    show.set_defaults(func=run_show)


def repository(table: str | None) -> Any:
    from kairos.local.runtime import read_session
    from kairos.store.members import MemberRepository

    if table is None and "KAIROS_TABLE" not in os.environ:
        session = read_session()
        if session:
            os.environ.update(session)
    name = table or os.environ.get("KAIROS_TABLE")
    if not name:
        raise SystemExit("no table: pass --table, set KAIROS_TABLE, or run `kairos local` here")
    return MemberRepository(name)


def run_show(args: argparse.Namespace) -> int:
    from kairos.models.events import MemberRef

    repo = repository(args.table)
    member_id = args.member_id
    if member_id is None:
        ids = {k: getattr(args, k) for k in ("line_user_id", "email", "phone", "external_id")}
        given = {k: v for k, v in ids.items() if v}
        if not given:
            print("name a member: ID, --line, --email, --phone or --external", file=sys.stderr)
            return 2
        [(kind, value)] = MemberRef.model_validate(given).identifiers().items()
        member_id = repo.find(kind, value)
        if member_id is None:
            print(f"no member with {kind} {value}", file=sys.stderr)
            return 1
    member = repo.get(member_id)
    if member is None:
        print(f"no member {member_id}", file=sys.stderr)
        return 1
    timeline = repo.timeline(member_id, limit=args.limit)
    if args.json:
        print(json.dumps({"member": member.model_dump(mode="json"), "timeline": timeline},
                         ensure_ascii=False, indent=2, default=str))  # fmt: skip
        return 0
    from kairos.local.display import print_member

    print_member(member, timeline)
    return 0
