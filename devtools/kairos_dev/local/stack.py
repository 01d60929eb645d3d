"""A local Kairos stack on the emulator: the same tables, secrets and queues the CDK
stack creates, and the environment the functions read (see kairos.config)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Protocol


class Provider(Protocol):
    """An emulator or the memory backend: clients, environment and tables."""

    def client(self, service: str) -> Any: ...
    def environ(self) -> dict[str, str]: ...
    def create_tables(self, prefix: str) -> dict[str, str]: ...


DEV_LINE_CHANNEL_SECRET = "kairos-dev-line-channel-secret"
DEV_LINE_CHANNEL_TOKEN = "kairos-dev-line-channel-token"
DEV_WEBHOOK_SECRET = "kairos-dev-webhook-secret"
DEV_TRACKING_KEY = "kairos-dev-tracking-key"
DEV_MEMBER_ID_KEY = "kairos-dev-member-id-key"
CHANNELS = ("line", "email", "sms")
MAX_RECEIVE_COUNT = 10  # as the stack: throttled retries count as receives too
QUEUE_MESSAGE_BYTES = 262_144


PASSED_THROUGH = ("KAIROS_COLLECT_SITES", "KAIROS_LIFF_CHANNEL_ID")
"""Settings `kairos local` takes from its environment (docs/tracking.md)."""


@dataclass(frozen=True)
class DevSecrets:
    """Development secrets: from KAIROS_LINE_CHANNEL_SECRET, KAIROS_LINE_CHANNEL_TOKEN,
    KAIROS_WEBHOOK_SECRET, KAIROS_TRACKING_KEY and KAIROS_MEMBER_ID_KEY, or the documented
    defaults above. The tracking key is never the webhook key (links signed with the
    webhook key are refused), as in a deployed stack."""

    line_channel_secret: str
    line_channel_token: str
    webhook_secret: str
    tracking_key: str = DEV_TRACKING_KEY
    member_id_key: str = DEV_MEMBER_ID_KEY

    @classmethod
    def from_env(cls) -> DevSecrets:
        return cls(
            line_channel_secret=os.environ.get(
                "KAIROS_LINE_CHANNEL_SECRET", DEV_LINE_CHANNEL_SECRET
            ),
            line_channel_token=os.environ.get("KAIROS_LINE_CHANNEL_TOKEN", DEV_LINE_CHANNEL_TOKEN),
            webhook_secret=os.environ.get("KAIROS_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET),
            tracking_key=os.environ.get("KAIROS_TRACKING_KEY", DEV_TRACKING_KEY),
            member_id_key=os.environ.get("KAIROS_MEMBER_ID_KEY", DEV_MEMBER_ID_KEY),
        )


@dataclass
class LocalStack:
    emulator: Provider
    prefix: str
    secrets: DevSecrets
    tables: dict[str, str]
    queues: dict[str, str]
    dead_letter_queues: dict[str, str]
    project_dir: str | None
    extra_env: dict[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        env = {
            **self.emulator.environ(),
            "KAIROS_TABLE": self.tables["main"],
            "KAIROS_IDEMPOTENCY_TABLE": self.tables["idempotency"],
            "KAIROS_LINE_SECRET_NAME": f"{self.prefix}/line",
            "KAIROS_WEBHOOK_SECRET_NAME": f"{self.prefix}/webhook",
            # As the stack: one SES configuration set, named like the stack's resources,
            # whose events come back through the webhook (kairos_dev.local.fake_ses).
            "KAIROS_SES_CONFIGURATION_SET": self.prefix,
            "KAIROS_TRACKING_SECRET_NAME": f"{self.prefix}/tracking",
            "KAIROS_MEMBER_ID_SECRET_NAME": f"{self.prefix}/member-ids",
            "POWERTOOLS_SERVICE_NAME": "kairos",
            "POWERTOOLS_METRICS_NAMESPACE": "Kairos",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
            **{f"KAIROS_QUEUE_{c.upper()}": url for c, url in self.queues.items()},
            # The website snippet's sites and LIFF channel, as the deployer sets them.
            **{k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)},
            **self.extra_env,
        }
        if self.project_dir:
            env["KAIROS_PROJECT_DIR"] = self.project_dir
        return env

    def activate(self) -> None:
        os.environ.update(self.environ())

    def client(self, service: str) -> Any:
        return self.emulator.client(service)


def create_local_stack(
    emulator: Provider,
    prefix: str = "kairos",
    project_dir: str | None = None,
    secrets: DevSecrets | None = None,
) -> LocalStack:
    secrets = secrets or DevSecrets.from_env()
    tables = emulator.create_tables(prefix)
    sm = emulator.client("secretsmanager")
    sm.create_secret(
        Name=f"{prefix}/line",
        SecretString=json.dumps(
            {
                "channel_secret": secrets.line_channel_secret,
                "channel_access_token": secrets.line_channel_token,
            }
        ),
    )
    sm.create_secret(
        Name=f"{prefix}/webhook",
        SecretString=json.dumps(
            {"hmac_key": secrets.webhook_secret, "shopify_hmac_key": secrets.webhook_secret}
        ),
    )
    sm.create_secret(
        Name=f"{prefix}/tracking",
        SecretString=json.dumps({"tracking_key": secrets.tracking_key}),
    )
    sm.create_secret(
        Name=f"{prefix}/member-ids",
        SecretString=json.dumps({"member_id_key": secrets.member_id_key}),
    )
    sqs = emulator.client("sqs")
    queues: dict[str, str] = {}
    dlqs: dict[str, str] = {}
    for channel in CHANNELS:
        dlq_url = sqs.create_queue(QueueName=f"{prefix}-{channel}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        queues[channel] = sqs.create_queue(
            QueueName=f"{prefix}-{channel}",
            Attributes={
                "VisibilityTimeout": "60",
                # The ceiling the evaluator sizes group messages for (SQS's old default).
                "MaximumMessageSize": str(QUEUE_MESSAGE_BYTES),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
                ),
            },
        )["QueueUrl"]
        dlqs[channel] = dlq_url
    return LocalStack(
        emulator=emulator,
        prefix=prefix,
        secrets=secrets,
        tables=tables,
        queues=queues,
        dead_letter_queues=dlqs,
        project_dir=project_dir,
    )
