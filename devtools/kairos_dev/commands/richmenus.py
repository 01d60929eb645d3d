"""`kairos richmenus deploy DIR`: the project's rich menus onto the LINE channel
(kairos.richmenus.deploy: idempotent; aliases for tabs; the default binding's menu as
the channel's default). The token is `KAIROS_LINE_CHANNEL_TOKEN`, or the
`channel_access_token` of the Secrets Manager secret `--line-secret` names."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("richmenus", help="LINE rich menus of a project")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deploy = actions.add_parser(
        "deploy",
        help="create or update the project's rich menus on the LINE channel (idempotent)",
    )
    deploy.add_argument("project", metavar="DIR")
    deploy.add_argument("--line-secret", help="Secrets Manager secret with the channel token")
    deploy.add_argument(
        "--line-api",
        default=os.environ.get("KAIROS_LINE_API_ENDPOINT", "https://api.line.me"),
        help="LINE Messaging API base URL (a fake LINE's URL locally)",
    )
    deploy.add_argument(
        "--line-data-api",
        default=os.environ.get("KAIROS_LINE_DATA_ENDPOINT"),
        help="where images go (default: api-data.line.me for LINE, else --line-api)",
    )
    deploy.add_argument(
        "--prune", action="store_true", help="delete older versions of the project's menus"
    )
    deploy.set_defaults(func=run_deploy)


def _token(secret: str | None) -> str:
    if secret:
        from kairos.aws import Boto3Clients
        from kairos.secrets import SecretStore

        return str(SecretStore(Boto3Clients()).line(secret)["channel_access_token"])
    token = os.environ.get("KAIROS_LINE_CHANNEL_TOKEN")
    if not token:
        raise SystemExit("no LINE token: set KAIROS_LINE_CHANNEL_TOKEN or pass --line-secret")
    return token


def run_deploy(args: argparse.Namespace) -> int:
    from kairos.project import ProjectError, load_project
    from kairos.richmenus.api import HttpTransport, LineApi, LineApiError
    from kairos.richmenus.binding import default_menu
    from kairos.richmenus.deploy import deploy

    try:
        project = load_project(args.project)
    except ProjectError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not project.richmenus:
        print(f"{args.project}: no rich menus (richmenus/*.yaml)")
        return 0
    token = _token(args.line_secret)
    data_host = args.line_data_api or (
        "https://api-data.line.me" if args.line_api.startswith("https://api.line.me") else None
    )
    api = LineApi(HttpTransport(args.line_api, lambda: token, data_host=data_host))
    try:
        report = deploy(
            api, project.richmenus, default_menu(project.settings.richmenus), prune=args.prune
        )
    except LineApiError as exc:
        print(f"kairos richmenus deploy: {exc}", file=sys.stderr)
        return 1
    for ident in sorted(project.richmenus):
        state = "created" if ident in report.created else "unchanged"
        print(f"{ident}: {state} ({report.line_ids[ident]})")
    if report.default:
        print(f"default menu: {report.default}")
    if report.deleted:
        print(f"deleted {len(report.deleted)} older versions")
    print("changed" if report.changed else "nothing to change", f"({api.requests} requests)")
    return 0
