"""One brand's Kairos in one stack: it only composes the constructs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import KairosConfig
from infra.constructs.evaluator import Evaluator
from infra.constructs.function import ARCHITECTURE, RUNTIME, FunctionDefaults
from infra.constructs.ingest import Ingest
from infra.constructs.keys import GeneratedKeys
from infra.constructs.observability import AlarmTopic, Dashboard
from infra.constructs.sender import Sender
from infra.constructs.storage import Storage
from infra.layer import build_layer, stage_project
from infra.paths import FUNCTIONS
from infra.project import load_project


class KairosStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: KairosConfig,
        functions_dir: Path = FUNCTIONS,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        project = load_project(config.project)

        storage = Storage(self, "Storage", prefix=config.prefix)
        alarms = AlarmTopic(
            self, "Alarms", name=f"{config.prefix}-alarms", email=config.alarm_email
        )
        defaults = FunctionDefaults(
            layers=[
                self._layer("Shared", *build_layer()),
                self._layer("Project", *stage_project(project)),
            ],
            alarm_topic=alarms.topic,
            # Every function that writes timeline entries keeps them this long.
            environment={"KAIROS_TIMELINE_TTL_DAYS": str(config.timeline_ttl_days)},
        )
        line_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "LineSecret", config.line_secret_name
        )
        webhook_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "WebhookSecret", config.webhook_secret_name
        )
        keys = GeneratedKeys(
            self,
            "Keys",
            tracking_secret_name=config.tracking_secret_name,
            member_id_secret_name=config.member_id_secret_name,
        )

        ingest = Ingest(
            self,
            "Ingest",
            name=config.prefix,
            stage_name=config.stage,
            code_dir=functions_dir / "webhook",
            defaults=defaults,
            table=storage.main,
            idempotency_table=storage.idempotency,
            line_secret=line_secret,
            webhook_secret=webhook_secret,
            tracking_secret=keys.tracking,
            member_id_secret=keys.member_ids,
            event_ttl_days=config.event_ttl_days,
        )
        sender = Sender(
            self,
            "Sender",
            prefix=config.prefix,
            code_dir=functions_dir / "sender",
            defaults=defaults,
            table=storage.main,
            idempotency_table=storage.idempotency,
            line_secret=line_secret,
            tracking_secret=keys.tracking,
            email_identity=config.email_identity,
            tracking_base_url=f"{ingest.url}t/",
            alarm_topic=alarms.topic,
        )
        evaluator = Evaluator(
            self,
            "Evaluator",
            code_dir=functions_dir / "evaluator",
            defaults=defaults,
            table=storage.main,
            queues=dict(sender.queues),
            member_id_secret=keys.member_ids,
        )
        Dashboard(
            self,
            "Observability",
            name=config.prefix,
            api=ingest.api,
            functions={
                "webhook": ingest.handler.function,
                "evaluator": evaluator.handler.function,
                "sender": sender.handler.function,
            },
            queues=sender.queues,
            dead_letters={**sender.dlqs, "stream": evaluator.stream_failures},
            stream_function=evaluator.handler.function,
        )

        CfnOutput(self, "ApiUrl", value=ingest.url, description="Base URL for webhooks")
        CfnOutput(
            self,
            "LineWebhookUrl",
            value=f"{ingest.url}line/webhook",
            description="Paste into the LINE Developers console (Messaging API → Webhook URL)",
        )
        CfnOutput(self, "MainTable", value=storage.main.table_name)
        CfnOutput(self, "AlarmTopic", value=alarms.topic.topic_arn)

    def _layer(self, construct_id: str, directory: Path, asset_hash: str) -> lambda_.LayerVersion:
        # The content hash is the asset hash: CDK need not fingerprint the directory.
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(directory), asset_hash=asset_hash),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
