"""Sender function: SQS channel queues → kairos.delivery → LINE / SES v2 / SNS SMS.

Thin on purpose: parse records (pydantic `SendRequest` inside Powertools' SQS record
model), hand the batch to `kairos.delivery.service`, and turn its answers into a partial
batch response. A record that cannot be parsed is a failure (after `maxReceiveCount`
receives SQS moves it to the DLQ); a record to retry later gets its visibility changed
to the backoff delay first and is then reported failed, so SQS keeps it and brings it
back when the delay is over. Idempotency (keyed on `delivery_id`) sits on the logic
function inside `kairos.delivery`, not here.

"Now" for the domain is the later of the request's `requested_at` and `clock()`: the
wall clock here, the virtual clock when the simulator sets `clock`. (The SQS
timestamps are not used: they go stale when a message is returned for a retry, and
they are real time under the simulator.)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from pydantic import Json, ValidationError

from kairos.clock import Clock
from kairos.config import RuntimeConfig
from kairos.delivery.channels.base import Channels
from kairos.delivery.channels.email import EmailChannel
from kairos.delivery.channels.line import LineChannel
from kairos.delivery.channels.sms import SmsChannel
from kairos.delivery.model import RetryLater
from kairos.delivery.service import Batch, Sender, retry_delay
from kairos.delivery.tracking import Tracker
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.observability import logger, metrics, tracer
from kairos.secrets import line_secrets, webhook_secrets
from kairos.store.deliveries import DeliveryStore
from kairos.store.limits import LimitStore

config = RuntimeConfig.from_env()
# No client-side retries toward providers: a retried SendEmail/Publish could send twice;
# retries are the sender's decision, with backoff through the queue.
PROVIDER_CLIENT = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


clock: Clock = _wall_clock
"""The simulator replaces this with its virtual clock."""

_lock = threading.Lock()
_sender: Sender | None = None
_overrides: dict[str, Any] = {}
_queue_urls: dict[str, str] = {}


class SendRecord(SqsRecordModel):
    body: Json[SendRequest]


def configure(
    *,
    settings: Settings | None = None,
    templates: Mapping[str, Template] | None = None,
    sender: Sender | None = None,
) -> None:
    """Give the function its brand settings and templates directly (tests, simulator)
    instead of loading them from KAIROS_PROJECT_DIR; resets the cached sender."""
    global _sender
    with _lock:
        _overrides.clear()
        if settings is not None:
            _overrides["settings"] = settings
        if templates is not None:
            _overrides["templates"] = templates
        _sender = sender


def _project() -> tuple[Settings, Mapping[str, Template]]:
    if "settings" in _overrides or "templates" in _overrides:
        return _overrides.get("settings") or Settings(), _overrides.get("templates") or {}
    if not config.project_dir:
        return Settings(), {}
    # Imported here: loading a project pulls in the journey language, which only a
    # cold start with a project directory needs.
    from kairos.project import load_project

    project = load_project(config.project_dir)
    return project.settings, project.templates


def _tracking_key() -> bytes:
    secrets = webhook_secrets(config.webhook_secret_name)
    return (secrets.get("tracking_key") or secrets["hmac_key"]).encode()


def sender() -> Sender:
    global _sender
    with _lock:
        if _sender is None:
            settings, templates = _project()
            dynamodb = boto3.client("dynamodb")
            limits = LimitStore(config.table, dynamodb)
            channel_settings = settings.channels
            channels = Channels(
                line=LineChannel(
                    config.line_api_endpoint,
                    token=lambda: line_secrets(config.line_secret_name)["channel_access_token"],
                ),
                email=EmailChannel(
                    boto3.client("sesv2", config=PROVIDER_CLIENT),
                    sender=channel_settings.email.from_,
                    reply_to=channel_settings.email.reply_to,
                    configuration_set=config.ses_configuration_set,
                ),
                sms=SmsChannel(
                    boto3.client("sns", config=PROVIDER_CLIENT),
                    sender_id=channel_settings.sms.sender_id,
                ),
            )
            _sender = Sender(
                settings=settings,
                templates=templates,
                store=DeliveryStore(
                    config.table, dynamodb, timeline_ttl_days=config.timeline_ttl_days
                ),
                limits=limits,
                channels=channels,
                tracker=Tracker(_tracking_key(), config.tracking_base_url),
                persistence=DynamoDBPersistenceLayer(table_name=config.idempotency_table),
            )
        return _sender


def _queue_url(arn: str) -> str:
    url = _queue_urls.get(arn)
    if url is None:
        _, _, _, _, account, name = arn.split(":", 5)
        sqs: Any = _sqs()
        url = str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])
        _queue_urls[arn] = url
    return url


_sqs_client: Any = None


def _sqs() -> Any:
    global _sqs_client
    if _sqs_client is None:
        _sqs_client = boto3.client("sqs")
    return _sqs_client


def _return_to_queue(record: SendRecord, delay: int) -> None:
    _sqs().change_message_visibility(
        QueueUrl=_queue_url(record.eventSourceARN),
        ReceiptHandle=record.receiptHandle,
        VisibilityTimeout=delay,
    )


def _requests(event: dict[str, Any]) -> list[SendRequest]:
    """Every parseable request of the batch (the processor reports the others)."""
    parsed = []
    for record in event.get("Records", []):
        try:
            parsed.append(SendRequest.model_validate_json(record.get("body", "")))
        except ValidationError:
            continue
    return parsed


def _record_handler(batch: Batch) -> Any:
    def handle(record: SendRecord) -> str:
        try:
            outcome = batch.deliver(record.body)
        except RetryLater as exc:
            receives = int(record.attributes.ApproximateReceiveCount or 1)
            delay = retry_delay(exc, receives)
            _return_to_queue(record, delay)
            logger.info(
                "returned to queue",
                extra={
                    "delivery_id": record.body.delivery_id,
                    "reason": exc.reason,
                    "delay": delay,
                },
            )
            metrics.add_metric(name="Retried", unit=MetricUnit.Count, value=1)
            raise
        logger.info(
            "delivery",
            extra={
                "delivery_id": outcome.delivery_id,
                "member_id": outcome.member_id,
                "status": outcome.status,
                "channel": outcome.channel,
                "provider_message_id": outcome.provider_message_id,
            },
        )
        return outcome.status

    return handle


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logic = sender()
    logic.idempotency.register_lambda_context(context)
    batch = logic.begin(_requests(event), now=clock())
    # One processor per invocation: it keeps per-batch state (local runs may overlap).
    processor = BatchProcessor(
        event_type=EventType.SQS, model=SendRecord, raise_on_entire_batch_failure=False
    )
    try:
        response = process_partial_response(
            event=event,
            record_handler=_record_handler(batch),
            processor=processor,
            context=context,
        )
    finally:
        summary = batch.finish()
        for name, value in summary.items():
            if value and "." not in name:
                metrics.add_metric(
                    name=f"Delivery_{name}", unit=MetricUnit.Count, value=float(value)
                )
    return dict(response)
