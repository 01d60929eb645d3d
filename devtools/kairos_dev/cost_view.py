"""`kairos stats --cost [--month YYYY-MM]`: the month's messages per journey, billed
and free, SMS and email, and the month under each Taiwan LINE plan
(kairos.reports.cost), with LINE's own count of the month so far when a token is
configured (`KAIROS_LINE_CHANNEL_TOKEN`, or `--line-secret`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import Any

from kairos_dev.brand import brand_zone, member_repository


def line_quota(args: argparse.Namespace) -> dict[str, Any] | None:
    """LINE's month so far (`/v2/bot/message/quota` and `/quota/consumption`), or None
    when no token is configured or LINE does not answer (said on standard error)."""
    from kairos.richmenus.api import LineApiError

    api = line_api(args)
    if api is None:
        return None
    try:
        quota = api.quota()
        used = api.consumption()
    except LineApiError as exc:
        print(f"LINE's quota left out: {exc}", file=sys.stderr)
        return None
    limit = quota.get("value") if quota.get("type") == "limited" else None
    return {"limit": limit, "used": used}


def run_cost(args: argparse.Namespace) -> int:
    from kairos.project import load_project
    from kairos.reports.cost import month_bill
    from kairos.store.costs import MonthCounterStore

    zone = brand_zone(args.project)
    month = args.month or datetime.now(zone).strftime("%Y-%m")
    directory = args.project or os.environ.get("KAIROS_PROJECT_DIR") or "."
    journeys = sorted(load_project(directory).journeys)
    members = member_repository(args.table)
    store = MonthCounterStore(members.table, members.client)
    bill = month_bill(month, store.month(journeys, month), line_quota(args))
    if args.json:
        print(json.dumps(bill, ensure_ascii=False, indent=2))
        return 0
    print_bill(bill)
    return 0


def print_bill(bill: dict[str, Any]) -> None:
    from rich.table import Table

    from kairos_dev.local.display import console

    table = Table(title=f"Messages in {bill['month']}", title_justify="left")
    for column in ("journey", "LINE billed", "LINE free", "email", "SMS", "SMS segments"):
        table.add_column(column, justify="left" if column == "journey" else "right")
    for row in [*bill["journeys"], {"journey": "total", **bill["total"]}]:
        table.add_row(
            row["journey"],
            *(f"{row[n]:,}" for n in ("line_billed", "line_free", "email", "sms", "sms_segments")),
        )
    console.print(table)
    plans = Table(
        title=f"LINE plans (Taiwan, prices as of {bill['prices_as_of']})", title_justify="left"
    )
    for column in ("plan", "month (NT$)", "over the allowance"):
        plans.add_column(column, justify="left" if column == "plan" else "right")
    for plan in bill["plans"]:
        price = f"{plan['ntd']:,.0f}" if plan["fits"] else "does not fit (LINE stops at the limit)"
        plans.add_row(plan["name"], price, f"{plan['over_allowance']:,}")
    console.print(plans)
    quota = bill["line_quota"]
    if quota is not None:
        limit = "no limit" if quota["limit"] is None else f"of {quota['limit']:,}"
        console.print(f"LINE says: {quota['used']:,} messages used this month ({limit})")


def line_api(args: argparse.Namespace) -> Any:
    """The LINE API with the configured token, or None without one."""
    from kairos.richmenus.api import HttpTransport, LineApi

    token = os.environ.get("KAIROS_LINE_CHANNEL_TOKEN")
    if getattr(args, "line_secret", None):
        from kairos.aws import Boto3Clients
        from kairos.secrets import SecretStore

        token = str(SecretStore(Boto3Clients()).line(args.line_secret)["channel_access_token"])
    if not token:
        return None
    endpoint = os.environ.get("KAIROS_LINE_API_ENDPOINT", "https://api.line.me")
    return LineApi(HttpTransport(endpoint, lambda: str(token)))


def run_refresh_units(args: argparse.Namespace) -> int:
    """`kairos stats --refresh-line-units`: LINE's last 14 days of every LINE step."""
    from datetime import UTC

    from kairos.project import load_project
    from kairos.reports.line_units import line_steps, refresh
    from kairos.store.line_units import LineUnitStore

    api = line_api(args)
    if api is None:
        print("no LINE token: set KAIROS_LINE_CHANNEL_TOKEN or pass --line-secret", file=sys.stderr)
        return 2
    directory = args.project or os.environ.get("KAIROS_PROJECT_DIR") or "."
    steps = line_steps(load_project(directory).journeys.values())
    if args.journey:
        steps = [s for s in steps if s[0] == args.journey]
    members = member_repository(args.table)
    done = refresh(api, LineUnitStore(members.table, members.client), steps, datetime.now(UTC))
    for journey, step, status in done.failed:
        print(f"LINE refused {journey}/{step} (status {status}): kept as it was", file=sys.stderr)
    print(f"LINE unit statistics read for {len(done.read)} steps ({api.requests} requests)")
    return 1 if done.failed else 0
