"""`kairos members show|erase (ID | --line U… | --email … | --phone … | --external …)`,
`import`, `export`; `tag`, `untag`, `note` and `list` are in kairos_dev.member_admin."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kairos_dev.member_desk import add_api_argument, member_desk


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
    show.add_argument("--project", metavar="DIR", help="brand project (for its time zone)")
    show.add_argument("--limit", type=int, default=50, help="timeline entries (newest)")
    add_api_argument(show)
    show.set_defaults(func=run_show)

    wipe = actions.add_parser(
        "erase",
        help="erase a member for a personal-data deletion request (idempotent)",
        description=(
            "Removes the member's profile, timeline, orders, enrolments, index entries and "
            "aliases, cancels its timers, strips personal fields from its delivery records "
            "and leaves a tombstone per identifier: a later event naming one is dropped "
            "unless it is a new consent (docs/events.md, Erasure). With --api, through "
            "the deployed stack's admin API (docs/admin-api.md)."
        ),
    )
    wipe.add_argument("member_id", nargs="?", help="member id (m-…)")
    named = wipe.add_mutually_exclusive_group()
    named.add_argument("--line", dest="line_user_id", help="LINE user id")
    named.add_argument("--email")
    named.add_argument("--phone")
    named.add_argument("--external", dest="external_id", help="shop customer id")
    wipe.add_argument(
        "--request", required=True, metavar="REF", help="the deletion request's reference"
    )
    wipe.add_argument("--table", help="main table name")
    wipe.add_argument("--project", metavar="DIR", help="brand project (for its segments)")
    wipe.add_argument("--json", action="store_true", help="print JSON")
    add_api_argument(wipe)
    wipe.set_defaults(func=run_erase)

    from kairos_dev.member_admin import register_actions

    register_actions(actions)

    load = actions.add_parser(
        "import",
        help="create or update members from a CSV file",
        description=(
            "Columns: line_user_id, email, phone, external_id (at least one per row), "
            "tags (';'-separated), consent_line / consent_email / consent_sms, and any "
            "other column as a profile attribute. Each row is applied as events, so an "
            "import twice changes nothing, and journeys see imported members like others. "
            "Rows that do not validate are set aside (line, column, reason) in a reject "
            "file; the good rows are applied, and the command exits 1."
        ),
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    load.add_argument(
        "--map",
        metavar="COL=FILE_COL,…",
        help="the file's column names for Kairos columns, e.g. email=E-mail,phone=Mobile",
    )
    load.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE.csv",
        help="where to write rejected rows (default: FILE.rejects.csv, only if any)",
    )
    load.add_argument("--at", help="event time (ISO 8601 with offset; default: now)")
    load.add_argument("--table", help="main table name")
    load.set_defaults(func=run_import)

    dump = actions.add_parser(
        "export",
        help="write members as CSV: with --tag or --segment from that index, otherwise "
        "every member (a full-table read: run it by hand, not on a schedule)",
    )
    dump.add_argument("--out", type=Path, help="file to write (default: standard output)")
    only = dump.add_mutually_exclusive_group()
    only.add_argument("--tag", help="only members with this tag (read from the tag index)")
    only.add_argument(
        "--segment", help="only members in this segment (read from the segment index)"
    )
    dump.add_argument("--table", help="main table name")
    add_api_argument(dump)
    dump.set_defaults(func=run_export)


def repository(table: str | None) -> Any:
    from kairos_dev.brand import member_repository

    return member_repository(table)


def run_show(args: argparse.Namespace) -> int:
    from kairos.models.events import MemberRef

    repo = member_desk(args)
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
    from kairos.members.service import NOTE

    notes = repo.timeline_of_kind(member_id, NOTE)
    if args.json:
        shown = {"member": member.model_dump(mode="json"), "notes": notes, "timeline": timeline}
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return 0
    from kairos_dev.brand import brand_zone
    from kairos_dev.local.display import print_member

    print_member(member, timeline, brand_zone(args.project), notes=notes)
    return 0


def named_identifier(args: argparse.Namespace) -> tuple[str, str] | None:
    """The one identifier given as --line/--email/--phone/--external, normalised."""
    from kairos.models.events import MemberRef

    ids = {k: getattr(args, k) for k in ("line_user_id", "email", "phone", "external_id")}
    given = {k: v for k, v in ids.items() if v}
    if not given:
        return None
    [(kind, value)] = MemberRef.model_validate(given).identifiers().items()
    return kind, value


def run_erase(args: argparse.Namespace) -> int:
    desk = member_desk(args)
    member_id = args.member_id
    if member_id is None:
        named = named_identifier(args)
        if named is None:
            print("name a member: ID, --line, --email, --phone or --external", file=sys.stderr)
            return 2
        member_id, why = desk.erase_lookup(*named)
        if member_id is None:
            print(json.dumps({"status": "absent"}) if args.json else f"{named[0]}: absent ({why})")
            return 0
    done = desk.erase(member_id, args.request)
    if args.json:
        print(json.dumps(done.as_json()))
    elif done.status == "absent":
        print(f"{member_id}: nothing left to erase")
    else:
        print(
            f"{member_id} erased: {done.items} items, {done.timers} timers cancelled, "
            f"{done.deliveries} delivery records scrubbed, "
            f"{done.identifiers} identifiers tombstoned (request {args.request})"
        )
    return 0


def run_import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from kairos.ingest.service import ingest
    from kairos_dev.member_import import BadMap, parse_map, read_members, write_rejects
    from kairos_dev.progress import progress_bar

    if not args.file.exists():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 1
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        print(f"--at {args.at}: needs an offset, e.g. +08:00", file=sys.stderr)
        return 2
    try:
        batch = read_members(args.file, at, parse_map(args.map))
    except BadMap as exc:
        print(str(exc), file=sys.stderr)
        return 2
    from kairos.aws import Boto3Clients
    from kairos.config import RuntimeConfig
    from kairos.project import load_settings
    from kairos.secrets import SecretStore

    repo = repository(args.table)  # reads the running `kairos local`'s environment first
    config = RuntimeConfig.from_env()
    zone = load_settings(config.project_dir).zone
    key = SecretStore(Boto3Clients()).member_id_key(config.member_id_secret_name)
    results = []
    with progress_bar() as bar:
        task = bar.add_task("importing", total=len(batch.events))
        for start in range(0, len(batch.events), 100):
            chunk = batch.events[start : start + 100]
            results.extend(ingest(chunk, repo, at, zone, member_id_key=key))
            bar.advance(task, len(chunk))
    members = {r.member_id for r in results if r.status != "erased"}
    erased = sum(1 for r in results if r.status == "erased")
    applied = sum(1 for r in results if r.status not in ("duplicate", "erased"))
    already = len(results) - applied - erased
    skipped = f", {erased} skipped: erased members without a new consent" if erased else ""
    print(f"{len(members)} members, {applied} changes applied ({already} already there){skipped}")
    if not batch.rejects:
        return 0
    target = args.rejects or args.file.with_suffix(".rejects.csv")
    write_rejects(target, batch.header, batch.rejects)
    print(
        f"{len(batch.rejects)} of {batch.rows} rows rejected, written to {target}:", file=sys.stderr
    )
    for reject in batch.rejects[:10]:
        print(f"  line {reject.line}, {reject.column}: {reject.reason}", file=sys.stderr)
    return 1


def run_export(args: argparse.Namespace) -> int:
    import csv
    from collections.abc import Iterable

    from kairos.members.export import API_COLUMNS, attribute_columns, member_row
    from kairos_dev.admin_client import AdminClient
    from kairos_dev.progress import progress_bar

    repo = member_desk(args)
    columns: list[str] | None = None
    found: Iterable[dict[str, str]]
    if isinstance(repo, AdminClient) and (args.segment or args.tag):
        # The deployed API writes the rows itself, thousands a request, not one a member.
        index, name = ("segment", args.segment) if args.segment else ("tag", args.tag)
        found, columns = repo.export_rows(index, name), list(API_COLUMNS)
    elif args.segment:
        found = map(member_row, repo.segment_members(args.segment))
    elif args.tag:
        found = map(member_row, repo.tagged_members(args.tag))
    else:
        found = map(member_row, repo.scan_members())
    rows: list[dict[str, str]] = []
    with progress_bar(counted=False) as bar:
        task = bar.add_task("reading members", total=None)
        for row in found:
            rows.append(row)
            bar.advance(task)
    handle = args.out.open("w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        fields = columns or attribute_columns(rows)
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["member_id"]))
    finally:
        if args.out:
            handle.close()
    return 0
