"""One brand's Kairos in one stack: it only composes the constructs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import ConfigError, KairosConfig
from infra.constructs.alarms import AlarmSink
from infra.constructs.console import Console
from infra.constructs.console_users import ConsoleUsers
from infra.constructs.engagement import EmailEngagement
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
from kairos import naming
from kairos.delivery.identity import IdentityMismatch, resolve_identity
from kairos.project import load_settings


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
        email_identity = self._email_identity(config, project)

        storage = Storage(self, "Storage", prefix=config.prefix)
        alarms = AlarmTopic(
            self, "Alarms", name=f"{config.prefix}-alarms", email=config.alarm_email
        )
        alarm_sink = AlarmSink(topic=alarms.topic, prefix=config.prefix)
        defaults = FunctionDefaults(
            layers=[
                self._layer("Shared", *build_layer()),
                self._layer("Project", *stage_project(project)),
            ],
            alarms=alarm_sink,
            # Every function that writes timeline entries keeps them this long.
            # Which custom metrics the functions publish (kairos.metric_names).
            environment={
                "KAIROS_TIMELINE_TTL_DAYS": str(config.timeline_ttl_days),
                "KAIROS_METRICS": config.metrics,
            },
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

        console_users = ConsoleUsers(
            self,
            "ConsoleUsers",
            prefix=config.prefix,
            domain_prefix=config.console_domain_prefix,
            mfa_required=config.console_mfa == "required",
        )
        ingest = Ingest(
            self,
            "Ingest",
            name=config.prefix,
            stage_name=config.stage,
            code_dir=functions_dir / "webhook",
            defaults=defaults,
            table=storage.main,
            line_secret=line_secret,
            webhook_secret=webhook_secret,
            tracking_secret=keys.tracking,
            member_id_secret=keys.member_ids,
            event_ttl_days=config.event_ttl_days,
            console_users=console_users.pool,
        )
        console = Console(
            self,
            "Console",
            prefix=config.prefix,
            dist=config.console_dist,
            api=ingest.api,
            users=console_users,
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
            email_identity=email_identity,
            tracking_base_url=f"{ingest.url}t/",
        )
        EmailEngagement(
            self,
            "EmailEngagement",
            configuration_set=sender.configuration_set.configuration_set_name,
            function=ingest.handler.function,
            alarms=alarm_sink,
        )
        evaluator = Evaluator(
            self,
            "Evaluator",
            code_dir=functions_dir / "evaluator",
            defaults=defaults,
            table=storage.main,
            queues=dict(sender.queues),
            member_id_secret=keys.member_ids,
            line_secret=line_secret,
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
            step_logs=[evaluator.handler.log_group, sender.handler.log_group],
        )

        CfnOutput(
            self, naming.OUTPUT_API_URL, value=ingest.url, description="Base URL for webhooks"
        )
        CfnOutput(
            self,
            naming.OUTPUT_LINE_WEBHOOK_URL,
            value=f"{ingest.url}line/webhook",
            description="Paste into the LINE Developers console (Messaging API → Webhook URL)",
        )
        CfnOutput(self, naming.OUTPUT_MAIN_TABLE, value=storage.main.table_name)
        CfnOutput(self, naming.OUTPUT_ALARM_TOPIC, value=alarms.topic.topic_arn)
        CfnOutput(
            self,
            naming.OUTPUT_ADMIN_POLICY,
            value=ingest.admin_policy.managed_policy_arn,
            description="Attach to the IAM role or user of tools calling the admin API (SigV4)",
        )
        CfnOutput(
            self,
            "ConsoleUrl",
            value=console.url,
            description="The back-office console; invite staff first (docs/deploy.md)",
        )
        CfnOutput(
            self,
            "UserPoolId",
            value=console_users.pool.user_pool_id,
            description="The console's staff: aws cognito-idp admin-create-user --user-pool-id",
        )

    @staticmethod
    def _email_identity(config: KairosConfig, project: Path) -> str:
        """The SES identity: checked against (or derived from) kairos.yaml's `from`."""
        sender = load_settings(str(project)).channels.email.from_
        try:
            return resolve_identity(config.email_identity, sender)
        except IdentityMismatch as exc:
            raise ConfigError(str(exc)) from None

    def _layer(self, construct_id: str, directory: Path, asset_hash: str) -> lambda_.LayerVersion:
        # The content hash is the asset hash: CDK need not fingerprint the directory.
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(directory), asset_hash=asset_hash),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
