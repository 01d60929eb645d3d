"""`kairos doctor`'s checks: is this AWS account (and LINE channel) ready for a brand's
stack, before the first deploy and after it?

Each check reads, never writes, and answers pass / warn / fail with the fix. They use
the ordinary boto3 clients (so `AWS_ENDPOINT_URL` points them at the local emulator in
tests) and LINE's Messaging API over HTTPS (`line_api`, the fake LINE API in tests).

| check               | reads                                                         |
|---------------------|---------------------------------------------------------------|
| secrets             | Secrets Manager: both secrets exist, are JSON, hold their keys |
| SES identity        | covers kairos.yaml's `from`; SES has verified it              |
| SES account         | production access (out of the sandbox), sending enabled       |
| SMS                 | SNS SMS sandbox, monthly spend limit                          |
| LINE token          | `GET /v2/bot/info` with the channel access token              |
| stack               | CloudFormation: `Kairos-<brand>-<stage>` complete, its outputs |
| LINE webhook        | `GET /v2/bot/channel/webhook/endpoint` = the stack's URL, on  |
| alarm subscriptions | someone confirmed a subscription to the alarm topic           |
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import ClientError

from kairos import naming
from kairos.delivery.identity import IdentityMismatch, resolve_identity
from kairos.project import load_settings

Status = Literal["pass", "warn", "fail", "skip"]
ClientFactory = Callable[[str], Any]

LINE_API = "https://api.line.me"
LINE_CHANNEL_SECRET = re.compile(r"^[0-9a-f]{32}$")
MIN_KEY_CHARS = 32  # docs/deploy.md: "random 32+ bytes", e.g. `openssl rand -hex 32`
DEFAULT_SMS_SPEND_LIMIT = "1"  # USD a month: where every new account starts


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Target:
    """One brand's deployment: what to look for, and where."""

    brand: str
    stage: str
    project: Path
    line_secret_name: str = ""
    webhook_secret_name: str = ""
    email_identity: str | None = None
    line_api: str = LINE_API

    def __post_init__(self) -> None:
        if not self.line_secret_name:
            object.__setattr__(
                self, "line_secret_name", naming.line_secret_name(self.brand, self.stage)
            )
        if not self.webhook_secret_name:
            object.__setattr__(
                self, "webhook_secret_name", naming.webhook_secret_name(self.brand, self.stage)
            )

    @property
    def stack_name(self) -> str:
        return naming.stack_name(self.brand, self.stage)

    def deploy_command(self) -> str:
        return (
            f'make deploy CDK_CONTEXT="-c kairos:brand={self.brand} -c kairos:stage={self.stage}'
            f' -c kairos:project={self.project}"'
        )


@dataclass
class Doctor:
    target: Target
    client: ClientFactory
    checks: list[Check] = field(default_factory=list)
    line_token: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, status: Status, detail: str, fix: str = "") -> None:
        self.checks.append(Check(name, status, detail, fix))

    def run(self) -> list[Check]:
        self.line_secret()
        self.webhook_secret()
        self.ses_identity()
        self.ses_account()
        self.sms()
        self.line_bot()
        self.stack()
        self.line_webhook()
        self.alarm_subscriptions()
        return self.checks

    # ---- secrets ----------------------------------------------------------------------

    def _secret(self, name: str, check: str) -> dict[str, Any] | None:
        create = (
            f"aws secretsmanager create-secret --name {name} --secret-string '{{...}}' "
            "(docs/deploy.md, Secrets)"
        )
        try:
            text = self.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "ResourceNotFoundException":
                self.add(check, "fail", f"{name} does not exist", create)
            else:
                self.add(check, "fail", f"{name}: {code}", "check your credentials and region")
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            self.add(check, "fail", f"{name} is not a JSON object", create)
            return None
        return value

    def line_secret(self) -> None:
        name = self.target.line_secret_name
        value = self._secret(name, "LINE secret")
        if value is None:
            return
        put = f"aws secretsmanager put-secret-value --secret-id {name} --secret-string '{{...}}'"
        problems = []
        if not LINE_CHANNEL_SECRET.match(str(value.get("channel_secret", ""))):
            problems.append("channel_secret is not LINE's 32 hexadecimal characters")
        token = str(value.get("channel_access_token") or "")
        if not token:
            problems.append("channel_access_token is missing")
        else:
            self.line_token = token
        if problems:
            self.add(
                "LINE secret",
                "fail",
                f"{name}: " + "; ".join(problems),
                f"copy both from LINE Developers (Messaging API), then {put}",
            )
        else:
            self.add("LINE secret", "pass", f"{name}: channel_secret and channel_access_token")

    def webhook_secret(self) -> None:
        name = self.target.webhook_secret_name
        value = self._secret(name, "webhook secret")
        if value is None:
            return
        problems = [
            f"{key} is shorter than {MIN_KEY_CHARS} characters"
            for key in ("hmac_key", "tracking_key")
            if (key == "hmac_key" or key in value)
            and len(str(value.get(key) or "")) < MIN_KEY_CHARS
        ]
        if "shopify_hmac_key" in value and not value["shopify_hmac_key"]:
            problems.append("shopify_hmac_key is empty")
        if problems:
            self.add(
                "webhook secret",
                "fail",
                f"{name}: " + "; ".join(problems),
                "make a key with `openssl rand -hex 32`, then aws secretsmanager "
                f"put-secret-value --secret-id {name}",
            )
        else:
            keys = ", ".join(
                k for k in ("hmac_key", "shopify_hmac_key", "tracking_key") if k in value
            )
            self.add("webhook secret", "pass", f"{name}: {keys}")

    # ---- email and SMS ----------------------------------------------------------------

    def ses_identity(self) -> None:
        sender = load_settings(str(self.target.project)).channels.email.from_
        try:
            identity = resolve_identity(self.target.email_identity, sender)
        except IdentityMismatch as exc:
            self.add("SES identity", "fail", "cannot send as kairos.yaml's from", str(exc))
            return
        verify = (
            f"aws sesv2 create-email-identity --email-identity {identity}, then publish its "
            "DKIM records in DNS"
        )
        try:
            found = self.client("sesv2").get_email_identity(EmailIdentity=identity)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NotFoundException":
                self.add("SES identity", "fail", f"{identity} is not an SES identity here", verify)
            else:
                self.add("SES identity", "fail", f"{identity}: {exc.response['Error']['Code']}")
            return
        if found.get("VerificationStatus") == "SUCCESS" or found.get("VerifiedForSendingStatus"):
            self.add("SES identity", "pass", f"{identity} is verified and may send as {sender}")
        else:
            status = found.get("VerificationStatus", "not verified")
            self.add("SES identity", "fail", f"{identity} is {status}", verify)

    def ses_account(self) -> None:
        try:
            account = self.client("sesv2").get_account()
        except ClientError as exc:
            self.add(
                "SES account", "fail", exc.response["Error"]["Code"], "check SES in this region"
            )
            return
        if not account.get("SendingEnabled", True):
            self.add(
                "SES account",
                "fail",
                "sending is paused for this account",
                "see the SES console's reputation dashboard; fix, then ask AWS to resume",
            )
        elif not account.get("ProductionAccessEnabled"):
            daily = account.get("SendQuota", {}).get("Max24HourSend", 200)
            self.add(
                "SES account",
                "warn" if self.target.stage == "dev" else "fail",
                f"in the SES sandbox: only verified recipients, {daily:.0f} a day",
                "request production access (SES console → Account dashboard)",
            )
        else:
            quota = account.get("SendQuota", {})
            self.add(
                "SES account",
                "pass",
                f"production access, {quota.get('Max24HourSend', 0):.0f} a day, "
                f"{quota.get('MaxSendRate', 0):.0f}/s",
            )

    def sms(self) -> None:
        sns = self.client("sns")
        try:
            sandbox = bool(sns.get_sms_sandbox_account_status()["IsInSandbox"])
            attributes = sns.get_sms_attributes(attributes=["MonthlySpendLimit"])["attributes"]
        except ClientError as exc:
            self.add("SMS", "fail", exc.response["Error"]["Code"], "check SNS in this region")
            return
        limit = attributes.get("MonthlySpendLimit", DEFAULT_SMS_SPEND_LIMIT)
        if sandbox:
            self.add(
                "SMS",
                "warn" if self.target.stage == "dev" else "fail",
                f"in the SNS SMS sandbox (verified numbers only), spend limit {limit} USD/month",
                "request production access and a spend limit (SNS console → Text messaging)",
            )
        elif limit == DEFAULT_SMS_SPEND_LIMIT:
            self.add(
                "SMS",
                "warn",
                "the monthly spend limit is still 1 USD",
                "ask AWS for a higher limit, then aws sns set-sms-attributes "
                "--attributes MonthlySpendLimit=<USD>",
            )
        else:
            self.add("SMS", "pass", f"production, spend limit {limit} USD/month")

    # ---- LINE -------------------------------------------------------------------------

    def _line(self, path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.target.line_api}{path}",
            headers={"Authorization": f"Bearer {self.line_token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status), json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def line_bot(self) -> None:
        if not self.line_token:
            self.add("LINE token", "skip", "no channel access token (see LINE secret)")
            return
        try:
            status, bot = self._line("/v2/bot/info")
        except OSError as exc:
            self.add("LINE token", "fail", f"LINE API unreachable: {exc}")
            return
        if status == 200:
            self.add(
                "LINE token",
                "pass",
                f"bot {bot.get('basicId', '?')} ({bot.get('displayName', '')})",
            )
        else:
            self.add(
                "LINE token",
                "fail",
                f"LINE answered {status} to the channel access token",
                "issue a long-lived channel access token in LINE Developers and put it "
                f"in {self.target.line_secret_name}",
            )

    def line_webhook(self) -> None:
        wanted = self.outputs.get(naming.OUTPUT_LINE_WEBHOOK_URL)
        if not wanted or not self.line_token:
            self.add("LINE webhook", "skip", "needs the deployed stack and a valid LINE token")
            return
        status, found = self._line("/v2/bot/channel/webhook/endpoint")
        fix = f"LINE Developers → Messaging API → Webhook URL: {wanted}, and turn Use webhook on"
        if status != 200:
            self.add("LINE webhook", "fail", f"LINE answered {status}", fix)
        elif found.get("endpoint") != wanted:
            self.add("LINE webhook", "fail", f"set to {found.get('endpoint') or 'nothing'}", fix)
        elif not found.get("active"):
            self.add("LINE webhook", "fail", "the URL is right but Use webhook is off", fix)
        else:
            self.add("LINE webhook", "pass", f"{wanted}, in use")

    # ---- the stack --------------------------------------------------------------------

    def stack(self) -> None:
        name = self.target.stack_name
        try:
            (stack,) = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                self.add("stack", "fail", f"{name} is not deployed", self.target.deploy_command())
            else:
                self.add("stack", "fail", f"{name}: {exc.response['Error']['Code']}")
            return
        status = str(stack["StackStatus"])
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        missing = [key for key in naming.OUTPUTS if key not in self.outputs]
        if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
            self.add(
                "stack",
                "fail",
                f"{name} is {status}",
                "see the stack's events in the CloudFormation console, then deploy again",
            )
        elif missing:
            self.add(
                "stack",
                "fail",
                f"{name} has no output {', '.join(missing)}",
                self.target.deploy_command(),
            )
        else:
            self.add("stack", "pass", f"{name} {status}; API {self.outputs[naming.OUTPUT_API_URL]}")

    def alarm_subscriptions(self) -> None:
        topic = self.outputs.get(naming.OUTPUT_ALARM_TOPIC)
        if not topic:
            self.add("alarm subscriptions", "skip", "needs the deployed stack")
            return
        found = self.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        confirmed = [s for s in found if s["SubscriptionArn"].startswith("arn:")]
        if confirmed:
            self.add(
                "alarm subscriptions",
                "pass",
                ", ".join(f"{s['Protocol']}:{s['Endpoint']}" for s in confirmed),
            )
        elif found:
            self.add(
                "alarm subscriptions",
                "warn",
                "subscribed but not confirmed",
                "open the confirmation email AWS sent to kairos:alarmEmail",
            )
        else:
            self.add(
                "alarm subscriptions",
                "warn",
                "no one hears the alarms",
                f"aws sns subscribe --topic-arn {topic} --protocol email "
                "--notification-endpoint <ops address> (or -c kairos:alarmEmail=...)",
            )


def diagnose(target: Target, client: ClientFactory) -> list[Check]:
    return Doctor(target, client).run()


MARKS: dict[Status, str] = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def table(checks: list[Check]) -> str:
    """The report: one row per check, the fix under each that did not pass."""
    width = max(len(c.name) for c in checks)
    lines = []
    for check in checks:
        lines.append(f"{MARKS[check.status]}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.status in ("fail", "warn"):
            lines.append(f"{'':4}  {'':<{width}}  fix: {check.fix}")
    return "\n".join(lines)
