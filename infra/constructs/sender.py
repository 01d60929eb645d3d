"""Delivery: one queue per channel (each with a DLQ and an alarm), the sender function
with a bounded-concurrency event source per queue, and SES engagement events.

Bounded consumer concurrency per channel is the first half of respecting provider
quotas (the shared limiter in DynamoDB is the second). Email engagement (delivery, open,
click, bounce, complaint) goes to the default EventBridge bus, where a rule
(`engagement.py`) routes it back into member timelines.

Alarms: dead letters per channel, a channel queue whose oldest message is late, and
sends that found LINE's monthly quota used up.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import health_metric
from infra.constructs.function import (
    FunctionDefaults,
    KairosFunction,
    wildcard_policy,
)
from infra.constructs.keys import NamedSecret
from infra.constructs.storage import grant_items
from infra.project import MOUNT_POINT
from kairos.store.schema import IDEMPOTENCY, MAIN

CHANNELS = ("line", "email", "sms")

# Sized from bench/sender.py (docs/sender.md, "Sizing"): one invocation at 1,769 MB (one
# vCPU) with batches of 100 sustains ~250 LINE pushes/s (CPU ~1.3 ms per message plus
# 4 LINE round trips with 32 sends in flight and ~17 DynamoDB requests per batch), so
# 10 concurrent invocations reach LINE's 2,000/s with 25% to spare; the shared limiter
# keeps the sum at the quota.
MEMORY_MB = 1769
BATCH_SIZE = 100
BATCHING_WINDOW = Duration.seconds(1)  # SQS requires a window for batches over 10
SEND_THREADS = 32  # kairos.delivery.pushing.SEND_CONCURRENCY: sends in flight per invocation

# LINE's push endpoint takes far more than SES or SNS accounts start with.
DEFAULT_MAX_CONCURRENCY: Mapping[str, int] = MappingProxyType({"line": 10, "email": 2, "sms": 2})

# A message that fails this many receives is poison: it moves to the channel's DLQ.
DEFAULT_MAX_RECEIVE_COUNT = 10  # throttled retries count as receives too

TIMEOUT = Duration.seconds(30)

# Sends wait in their queue this long (throttled retries back off up to 15 minutes
# each): members get their messages late.
QUEUE_AGE_ALARM = Duration.hours(1)

SERVICE = "sender"
"""The sender's Powertools service name: the `service` dimension of its metrics."""

ENGAGEMENT_EVENTS = (
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.OPEN,
    ses.EmailSendingEvent.CLICK,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
)


class Sender(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        code_dir: Path,
        defaults: FunctionDefaults,
        table: dynamodb.ITable,
        idempotency_table: dynamodb.ITable,
        line_secret: secretsmanager.ISecret,
        tracking_secret: NamedSecret,
        email_identity: str,
        tracking_base_url: str,
        max_concurrency: Mapping[str, int] = DEFAULT_MAX_CONCURRENCY,
        max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
        batch_size: int = BATCH_SIZE,
        timeout: Duration = TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        self.configuration_set = ses.ConfigurationSet(
            self, "EmailConfiguration", configuration_set_name=prefix
        )
        self.configuration_set.add_event_destination(
            "Engagement",
            destination=ses.EventDestination.event_bus(
                # SES publishes only to the account's default bus.
                events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
            ),
            events=list(ENGAGEMENT_EVENTS),
        )

        self.handler = KairosFunction(
            self,
            "Function",
            name=SERVICE,
            code_dir=code_dir,
            defaults=defaults,
            description="Kairos sender: render, route and send over LINE, SES and SNS SMS",
            timeout=timeout,
            memory_size=MEMORY_MB,
            environment={
                "KAIROS_TABLE": table.table_name,
                "KAIROS_IDEMPOTENCY_TABLE": idempotency_table.table_name,
                "KAIROS_LINE_SECRET_NAME": line_secret.secret_name,
                # `tracking_key` signs tracked and unsubscribe links (never the webhook key).
                "KAIROS_TRACKING_SECRET_NAME": tracking_secret.name,
                "KAIROS_SES_CONFIGURATION_SET": self.configuration_set.configuration_set_name,
                "KAIROS_TRACKING_BASE_URL": tracking_base_url,
                "KAIROS_PROJECT_DIR": MOUNT_POINT,
            },
        )
        role = self.handler.role
        grant_items(role, table, MAIN, write=True)
        grant_items(role, idempotency_table, IDEMPOTENCY, write=True)
        line_secret.grant_read(role)
        tracking_secret.secret.grant_read(role)
        self._grant_email(role, email_identity)
        self._grant_sms(role)

        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for channel in CHANNELS:
            dlq = sqs.Queue(
                self,
                f"{channel.capitalize()}Dlq",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            queue = sqs.Queue(
                self,
                f"{channel.capitalize()}Queue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                # AWS's advice for Lambda consumers: six times the function timeout.
                visibility_timeout=Duration.seconds(timeout.to_seconds() * 6),
                retention_period=Duration.days(14),
                dead_letter_queue=sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=max_receive_count
                ),
            )
            # What is left of a group message to retry goes back onto its own queue.
            queue.grant_send_messages(role)
            self.handler.function.add_event_source(
                sources.SqsEventSource(
                    queue,
                    batch_size=batch_size,
                    max_batching_window=BATCHING_WINDOW if batch_size > 10 else None,
                    max_concurrency=max_concurrency[channel],
                    report_batch_item_failures=True,
                )
            )
            defaults.alarms.dead_letters(
                self,
                f"{channel}-dead-letters",
                dlq,
                f"Kairos {channel} sends failed {max_receive_count} times "
                "and wait in the dead-letter queue",
            )
            defaults.alarms.alarm(
                self,
                f"{channel}-queue-age",
                metric=queue.metric_approximate_age_of_oldest_message(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=QUEUE_AGE_ALARM.to_seconds(),
                description=f"Kairos {channel}: a send has waited in its queue for more than "
                f"{int(QUEUE_AGE_ALARM.to_minutes())} minutes",
            )
            self.queues[channel] = queue
            self.dlqs[channel] = dlq

        # `quota_exceeded` is only ever LINE's monthly allowance (kairos.yaml
        # `channels.line.monthly_limit`, or LINE's own "monthly limit" answer) with no
        # other channel left for the member.
        defaults.alarms.alarm(
            self,
            "line-monthly-quota",
            metric=health_metric("Delivery_quota_exceeded", SERVICE, Duration.hours(1)),
            threshold=1,
            description="Kairos: LINE's monthly message quota is used up; LINE sends fall "
            "back to email/SMS or end quota_exceeded",
        )

    def _grant_email(self, role: iam.Role, email_identity: str) -> None:
        """Send only as the brand's verified identity, only through our configuration set."""
        stack = Stack.of(self)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[
                    stack.format_arn(
                        service="ses", resource="identity", resource_name=email_identity
                    ),
                    # SES also authorizes the configuration set named in the request.
                    stack.format_arn(
                        service="ses",
                        resource="configuration-set",
                        resource_name=self.configuration_set.configuration_set_name,
                    ),
                ],
            )
        )

    def _grant_sms(self, role: iam.Role) -> None:
        wildcard_policy(
            self,
            "SmsPolicy",
            role,
            ["sns:Publish"],
            "SMS is published straight to a phone number, which has no ARN: SNS requires "
            "Resource '*' for sns:Publish to phone numbers. No topic is used.",
        )
