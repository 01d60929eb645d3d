"""`kairos doctor`: preflight for a brand and stage, before and after `make deploy`.

Secrets, the SES identity and sandbox, SMS, the LINE token and webhook URL, the stack
and its outputs, alarm subscriptions: a table of pass / warn / fail with the fix for
each (kairos_dev.preflight). Exit 1 if anything fails. Defaults come from ./cdk.json's
context, as `make deploy` would use them.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the AWS account and LINE channel for a brand's stack (preflight)",
        description=(
            "Read-only checks of the account the AWS credentials point at: secrets, SES "
            "identity and sandbox, SMS sandbox and spend limit, the LINE token and webhook "
            "URL, the deployed stack's outputs. Prints pass/warn/fail with the fix."
        ),
    )
    parser.add_argument("--brand", help="kairos:brand (default: cdk.json's, else demo)")
    parser.add_argument("--stage", help="kairos:stage (default: cdk.json's, else dev)")
    parser.add_argument(
        "--project", help="the brand project directory (default: cdk.json's kairos:project)"
    )
    parser.add_argument("--line-secret", help="kairos:lineSecretName")
    parser.add_argument("--webhook-secret", help="kairos:webhookSecretName")
    parser.add_argument("--email-identity", help="kairos:emailIdentity")
    parser.add_argument(
        "--line-api",
        default=os.environ.get("KAIROS_LINE_API_ENDPOINT", "https://api.line.me"),
        help="LINE Messaging API base URL",
    )
    parser.add_argument("--cdk-json", default="cdk.json", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    from kairos_dev.preflight import Target, diagnose, table

    cdk_json = Path(args.cdk_json)
    context: dict[str, Any] = {}
    if cdk_json.is_file():
        context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})

    def pick(given: str | None, key: str, default: str = "") -> str:
        return given or str(context.get(f"kairos:{key}") or default)

    target = Target(
        brand=pick(args.brand, "brand", "demo"),
        stage=pick(args.stage, "stage", "dev"),
        project=Path(pick(args.project, "project", "examples")),
        line_secret_name=pick(args.line_secret, "lineSecretName"),
        webhook_secret_name=pick(args.webhook_secret, "webhookSecretName"),
        email_identity=pick(args.email_identity, "emailIdentity") or None,
        line_api=args.line_api.rstrip("/"),
    )
    factory: Any = boto3.client
    checks = diagnose(target, factory)
    print(f"Kairos doctor: {target.stack_name} (brand {target.brand}, stage {target.stage})")
    print(table(checks))
    failed = sum(1 for c in checks if c.status == "fail")
    warned = sum(1 for c in checks if c.status == "warn")
    print(f"{failed} failed, {warned} to look at" if failed or warned else "all good")
    return 1 if failed else 0
