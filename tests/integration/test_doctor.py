"""`kairos doctor` against the embedded emulator and the fake LINE API: it finds each
misconfiguration a brand would otherwise meet in production, and says how to fix it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.paths import ROOT
from kairos_dev.cli import main
from kairos_dev.local.account import set_account
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.fake_line import FakeLine, start_fake_line
from kairos_dev.preflight import Check, Target, diagnose

TOKEN = "line-token-for-doctor"
HEX32 = "0123456789abcdef0123456789abcdef"


@dataclass
class Account:
    """One brand in the (process-wide) emulator account: its own names and domain."""

    emulator: Emulator
    line: FakeLine
    brand: str
    project: Path
    stage: str = "prod"

    @property
    def domain(self) -> str:
        return f"{self.brand}.example"

    @property
    def stack_name(self) -> str:
        return f"Kairos-{self.brand}-{self.stage}"

    def secrets(
        self, line: dict[str, str] | None = None, webhook: dict[str, str] | None = None
    ) -> None:
        sm = self.emulator.client("secretsmanager")
        sm.create_secret(
            Name=f"kairos/{self.brand}/{self.stage}/line",
            SecretString=json.dumps(
                line or {"channel_secret": HEX32, "channel_access_token": TOKEN}
            ),
        )
        sm.create_secret(
            Name=f"kairos/{self.brand}/{self.stage}/webhook",
            SecretString=json.dumps(webhook or {"hmac_key": "k" * 64, "shopify_hmac_key": "s"}),
        )

    def deploy(self, confirmed_alarms: bool = True) -> str:
        """A stack with the outputs Kairos's stack has (as far as the doctor looks)."""
        url = f"https://abc123.execute-api.ap-northeast-1.amazonaws.com/{self.stage}/"
        template = {
            "Resources": {"Alarms": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "ApiUrl": {"Value": url},
                "LineWebhookUrl": {"Value": f"{url}line/webhook"},
                "MainTable": {"Value": f"kairos-{self.brand}-{self.stage}-main"},
                "AlarmTopic": {"Value": {"Ref": "Alarms"}},
            },
        }
        cfn = self.emulator.client("cloudformation")
        cfn.create_stack(StackName=self.stack_name, TemplateBody=json.dumps(template))
        if confirmed_alarms:
            (stack,) = cfn.describe_stacks(StackName=self.stack_name)["Stacks"]
            topic = next(
                o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "AlarmTopic"
            )
            self.emulator.client("sns").subscribe(
                TopicArn=topic, Protocol="https", Endpoint="https://ops.example/alarms"
            )
        return f"{url}line/webhook"

    def ready(self) -> None:
        """Everything a production brand needs."""
        self.secrets()
        self.emulator.client("sesv2").create_email_identity(EmailIdentity=self.domain)
        set_account(ses_production_access=True, sms_sandbox=False)
        self.emulator.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "100"})
        self.line.webhook_endpoint = self.deploy()
        self.line.webhook_active = True

    def check(self) -> dict[str, Check]:
        target = Target(
            brand=self.brand, stage=self.stage, project=self.project, line_api=self.line.url
        )
        return {c.name: c for c in diagnose(target, self.emulator.client)}


@pytest.fixture
def account(emulator: Emulator, tmp_path: Path) -> Iterator[Account]:
    brand = f"doc{uuid.uuid4().hex[:8]}"
    project = tmp_path / "brand"
    (project / "journeys").mkdir(parents=True)
    (project / "kairos.yaml").write_text(f"channels:\n  email: {{from: hello@{brand}.example}}\n")
    line = start_fake_line(token=TOKEN)
    try:
        yield Account(emulator, line, brand=brand, project=project)
    finally:
        line.stop()
        set_account(ses_production_access=False, sms_sandbox=True)
        emulator.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "1"})


def statuses(checks: dict[str, Check]) -> dict[str, str]:
    return {name: check.status for name, check in checks.items()}


def test_a_ready_account_passes_everything(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    account.ready()
    checks = account.check()
    assert set(statuses(checks).values()) == {"pass"}, {n: c.detail for n, c in checks.items()}
    assert "@kairosdev" in checks["LINE token"].detail
    # Every check is explained in the deploy guide
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in checks:
        assert f"\n| {name} |" in guide, name
    # And the command prints the table and exits 0
    code = main(["doctor", "--brand", account.brand, "--stage", "prod", "--project", str(account.project),
                 "--line-api", account.line.url, "--cdk-json", "/nonexistent"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.strip().endswith("all good")
    assert "PASS  stack" in out


def test_before_the_first_deploy_it_lists_what_is_missing(
    account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a brand-new account: no secrets, no identity, both sandboxes, nothing deployed
    code = main(["doctor", "--brand", account.brand, "--stage", "prod", "--project", str(account.project),
                 "--line-api", account.line.url, "--cdk-json", "/nonexistent"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    rows = {
        line.split("  ")[1].strip(): line[:4]
        for line in out.splitlines()
        if line[:4] in ("PASS", "FAIL", "WARN", "skip")
    }
    assert rows == {
        "LINE secret": "FAIL", "webhook secret": "FAIL", "SES identity": "FAIL",
        "SES account": "FAIL", "SMS": "FAIL", "LINE token": "skip", "stack": "FAIL",
        "LINE webhook": "skip", "alarm subscriptions": "skip",
    }  # fmt: skip
    # Each failure says how to fix it
    assert f"aws secretsmanager create-secret --name kairos/{account.brand}/prod/line" in out
    assert f"aws sesv2 create-email-identity --email-identity {account.domain}" in out
    assert "request production access" in out
    assert f'make deploy CDK_CONTEXT="-c kairos:brand={account.brand} -c kairos:stage=prod' in out


def test_the_sandboxes_are_only_a_warning_for_dev(account: Account) -> None:
    account.stage = "dev"
    checks = account.check()
    assert checks["SES account"].status == "warn" and checks["SMS"].status == "warn"


def test_malformed_secrets_fail_with_what_is_wrong(account: Account) -> None:
    account.secrets(
        line={"channel_secret": "not-the-secret", "channel_access_token": TOKEN},
        webhook={"hmac_key": "short"},
    )
    checks = account.check()
    assert checks["LINE secret"].status == "fail"
    assert "32 hexadecimal" in checks["LINE secret"].detail
    assert checks["webhook secret"].status == "fail"
    assert "hmac_key is shorter than 32" in checks["webhook secret"].detail
    assert "openssl rand -hex 32" in checks["webhook secret"].fix


def test_a_revoked_line_token_fails(account: Account) -> None:
    account.ready()
    account.line.token = "a-newer-token"  # the one in the secret no longer works
    checks = account.check()
    assert checks["LINE token"].status == "fail"
    assert "long-lived channel access token" in checks["LINE token"].fix


def test_a_line_webhook_pointing_elsewhere_fails_with_the_right_url(account: Account) -> None:
    account.ready()
    wanted = account.line.webhook_endpoint
    account.line.webhook_endpoint = "https://old-platform.example/line"
    checks = account.check()
    assert checks["LINE webhook"].status == "fail"
    assert "old-platform.example" in checks["LINE webhook"].detail
    assert wanted in checks["LINE webhook"].fix
    # The right URL with "Use webhook" off is still a failure
    account.line.webhook_endpoint, account.line.webhook_active = wanted, False
    assert "Use webhook is off" in account.check()["LINE webhook"].detail


def test_an_identity_that_cannot_send_as_the_brand_fails(account: Account) -> None:
    target = Target(brand=account.brand, stage="prod", project=account.project,
                    email_identity="shop.example", line_api=account.line.url)  # fmt: skip
    checks = {c.name: c for c in diagnose(target, account.emulator.client)}
    assert checks["SES identity"].status == "fail"
    assert f"kairos:emailIdentity={account.domain}" in checks["SES identity"].fix


def test_unconfirmed_alarm_subscriptions_are_flagged(account: Account) -> None:
    account.secrets()
    account.deploy(confirmed_alarms=False)
    checks = account.check()
    assert checks["stack"].status == "pass"
    assert checks["alarm subscriptions"].status == "warn"
    assert "no one hears the alarms" in checks["alarm subscriptions"].detail


def test_the_fake_line_api_answers_the_settings_endpoints(account: Account) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{account.line.url}/v2/bot/channel/webhook/endpoint",
        data=json.dumps({"endpoint": "https://x.example/line/webhook"}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    assert account.line.webhook_endpoint == "https://x.example/line/webhook"
