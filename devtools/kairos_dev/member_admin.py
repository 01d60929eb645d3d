"""`kairos members tag|untag ID TAG`, `members note ID --text …`,
`members list --tag T | --segment S`, `members merge KEEP ABSORB`:
what staff do day to day, through the same service code as the admin API
(kairos.members.service), against the table from --table, KAIROS_TABLE or the running
`kairos local` — or through the deployed admin API with --api (kairos_dev.member_desk)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kairos_dev.member_desk import add_api_argument, member_desk


def register_actions(actions: Any) -> None:
    for name, verb in (("tag", "add a tag to"), ("untag", "remove a tag from")):
        parser = actions.add_parser(name, help=f"{verb} a member (a tag event on the timeline)")
        parser.add_argument("member_id", help="member id (m-…)")
        parser.add_argument("tag")
        parser.add_argument("--table", help="main table name")
        parser.add_argument("--project", metavar="DIR", help="brand project (for its time zone)")
        add_api_argument(parser)
        parser.set_defaults(func=run_tag, add=name == "tag")

    note = actions.add_parser("note", help="add a staff note to a member's timeline")
    note.add_argument("member_id", help="member id (m-…)")
    note.add_argument("--text", required=True, help="up to 2,000 characters")
    note.add_argument(
        "--author", help="who writes it (default: your login name; with --api your IAM ARN)"
    )
    note.add_argument("--table", help="main table name")
    note.add_argument("--project", metavar="DIR", help="brand project (for its time zone)")
    add_api_argument(note)
    note.set_defaults(func=run_note)

    join = actions.add_parser(
        "merge",
        help="merge ABSORB into KEEP: one person known as two members (idempotent)",
        description=(
            "Repoints ABSORB's identifiers to KEEP, moves its timeline and orders, keeps "
            "the newest value of each profile field, unites tags, recomputes statistics "
            "from both order histories and ends ABSORB's enrolments (docs/events.md)."
        ),
    )
    join.add_argument("keep", metavar="KEEP", help="the member id that stays")
    join.add_argument("absorb", metavar="ABSORB", help="the member id merged into KEEP")
    join.add_argument("--request", default="cli", metavar="REF", help="a reference to record")
    join.add_argument("--table", help="main table name")
    join.add_argument("--project", metavar="DIR", help="brand project (for its segments)")
    join.add_argument("--json", action="store_true", help="print JSON")
    add_api_argument(join)
    join.set_defaults(func=run_merge)

    rebuild = actions.add_parser(
        "reindex-tags",
        help="index the tags of members tagged before the tag index existed (one full read)",
    )
    rebuild.add_argument("--table", help="main table name")
    rebuild.set_defaults(func=run_reindex)

    searchable = actions.add_parser(
        "reindex-search",
        help="index the names and joining dates of members written before the console's "
        "search indexes existed (one full read)",
    )
    searchable.add_argument("--table", help="main table name")
    searchable.set_defaults(func=run_reindex_search)

    listing = actions.add_parser(
        "list",
        help="member ids with a tag or in a segment, a page at a time (from the tag or "
        "segment index, no scan)",
    )
    which = listing.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag")
    which.add_argument("--segment", help="a segment id (segments/*.yaml)")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--cursor", help="`next` of the previous page")
    listing.add_argument("--table", help="main table name")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_api_argument(listing)
    listing.set_defaults(func=run_list)


def run_tag(args: argparse.Namespace) -> int:
    from kairos.members.service import InvalidRequest

    try:
        tags = member_desk(args).change_tag(args.member_id, args.tag, add=args.add)
    except InvalidRequest as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if tags is None:
        print(f"no member {args.member_id}", file=sys.stderr)
        return 1
    print(f"{args.member_id}: tags {', '.join(tags)}".rstrip())
    return 0


def run_note(args: argparse.Namespace) -> int:
    from kairos.members.service import InvalidRequest

    try:
        found = member_desk(args).add_note(args.member_id, args.author, args.text)
    except InvalidRequest as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not found:
        print(f"no member {args.member_id}", file=sys.stderr)
        return 1
    print(f"{args.member_id}: note added")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    try:
        done = member_desk(args).merge(args.keep, args.absorb, args.request)
    except (LookupError, ValueError) as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(done.as_json()))
    elif done.status == "absent":
        print(f"{args.absorb}: not a member (merged before?); nothing changed")
    else:
        print(f"{args.absorb} merged into {args.keep} ({done.moved} entries and orders moved)")
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    from kairos_dev.brand import member_repository

    written = member_repository(args.table).reindex_tags()
    print(f"{written} tag index entries written")
    return 0


def run_reindex_search(args: argparse.Namespace) -> int:
    from kairos_dev.brand import member_repository

    done = member_repository(args.table).reindex_search()
    print(f"{done} members indexed for search")
    return 0


def run_list(args: argparse.Namespace) -> int:
    desk = member_desk(args)
    if args.segment:
        ids, cursor = desk.segmented(args.segment, args.limit, args.cursor)
    else:
        ids, cursor = desk.tagged(args.tag, args.limit, args.cursor)
    if args.json:
        print(json.dumps({"members": ids, "next": cursor}))
        return 0
    for member_id in ids:
        print(member_id)
    if cursor:
        print(f"more: --cursor '{cursor}'", file=sys.stderr)
    return 0
