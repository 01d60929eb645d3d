"""Wiring the sender: which adapters, settings and clock its services run with.

- `sender_services()`: what the Lambda function runs with, built once per container
  (`functools.cache`) from the environment's `RuntimeConfig`: the DynamoDB stores, the
  idempotency table, SQS for returned messages, LINE (token from Secrets Manager), SES v2
  and SNS, the brand's project (settings and templates) and the wall clock.
- `from_config(config, …)`: the same from a given `RuntimeConfig`, with what the caller
  wants instead: settings and templates, a virtual clock, its own DynamoDB client or
  idempotency persistence layer (the simulator, the tests, the benchmark).
- `build(…)`: the composition itself, from stores, clients and channels given
  explicitly; nothing here touches AWS, so in-memory adapters plug in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from kairos.clock import Clock
from kairos.config import RuntimeConfig, brand_settings
from kairos.delivery.channels.aws import provider_client
from kairos.delivery.channels.base import Channels
from kairos.delivery.channels.email import EmailChannel
from kairos.delivery.channels.line import LineChannel
from kairos.delivery.channels.sms import SmsChannel
from kairos.delivery.idempotency import PersistenceClaims, idempotency_config
from kairos.delivery.limiter import RateLimiter
from kairos.delivery.multicast import Multicaster
from kairos.delivery.planning import Planner
from kairos.delivery.ports import DeliveryStorePort, LimitStorePort, Redelivery
from kairos.delivery.recording import Recorder
from kairos.delivery.sending import Dispatcher
from kairos.delivery.service import Sender
from kairos.delivery.tracking import Tracker
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.secrets import line_secrets, webhook_secrets
from kairos.store.deliveries import DeliveryStore
from kairos.store.limits import LimitStore
from kairos.store.redelivery import QueueRedelivery


@dataclass(frozen=True)
class SenderServices:
    sender: Sender
    """What the handler calls: `sender.batch(event, context)`."""
    channels: Channels
    deliveries: DeliveryStorePort
    limits: LimitStorePort
    persistence: BasePersistenceLayer
    """The idempotency records' persistence layer."""


def wall_clock() -> datetime:
    return datetime.now(UTC)


def build(
    *,
    settings: Settings,
    templates: Mapping[str, Template],
    deliveries: DeliveryStorePort,
    limits: LimitStorePort,
    redelivery: Redelivery,
    persistence: BasePersistenceLayer,
    channels: Channels,
    tracker: Tracker,
    clock: Clock = wall_clock,
    idempotency: IdempotencyConfig | None = None,
    limiter: Callable[[], RateLimiter] | None = None,
    multicast_min: int = 2,
) -> SenderServices:
    """The sender from explicit parts. `limiter` makes each batch's rate limiter (the
    default draws on `limits` with the wall clock); `multicast_min` is the smallest group
    of identical LINE messages sent as a multicast."""
    config = idempotency or idempotency_config()
    planner = Planner(
        settings=settings,
        templates=templates,
        members=deliveries,
        windows=deliveries,
        quota=limits,
        tracker=tracker,
    )
    multicaster = (
        Multicaster(
            planner=planner, line=channels.line, claims=PersistenceClaims(persistence, config)
        )
        if channels.line is not None
        else None
    )
    sender = Sender(
        planner=planner,
        dispatcher=Dispatcher(planner=planner, channels=channels),
        multicaster=multicaster,
        recorder=Recorder(log=deliveries, counters=deliveries),
        redelivery=redelivery,
        persistence=persistence,
        config=config,
        limiter=limiter or (lambda: RateLimiter(limits)),
        clock=clock,
        multicast_min=multicast_min,
    )
    return SenderServices(sender, channels, deliveries, limits, persistence)


def from_config(
    config: RuntimeConfig,
    *,
    settings: Settings | None = None,
    templates: Mapping[str, Template] | None = None,
    clock: Clock = wall_clock,
    dynamodb: Any | None = None,
    persistence: BasePersistenceLayer | None = None,
    multicast_min: int = 2,
) -> SenderServices:
    """The sender on the AWS resources `config` names. Settings and templates come from
    the brand's project (`KAIROS_PROJECT_DIR`) unless given; `dynamodb` is the boto3
    client every table request goes through (made here when not given)."""
    if settings is None and templates is None:
        settings, templates = _project(config)
    settings = settings or Settings()
    deliveries = DeliveryStore(config.table, dynamodb, timeline_ttl_days=config.timeline_ttl_days)
    client = deliveries.client  # one client (and connection pool) for every table request
    channels = Channels(
        line=LineChannel(
            config.line_api_endpoint,
            token=lambda: line_secrets(config.line_secret_name)["channel_access_token"],
        ),
        email=EmailChannel(
            provider_client("sesv2"),
            sender=settings.channels.email.from_,
            reply_to=settings.channels.email.reply_to,
            configuration_set=config.ses_configuration_set,
        ),
        sms=SmsChannel(provider_client("sns"), sender_id=settings.channels.sms.sender_id),
    )
    return build(
        settings=settings,
        templates=templates or {},
        deliveries=deliveries,
        limits=LimitStore(config.table, client),
        redelivery=QueueRedelivery(),
        persistence=persistence
        or DynamoDBPersistenceLayer(table_name=config.idempotency_table, boto3_client=client),
        channels=channels,
        tracker=Tracker(_tracking_key(config), config.tracking_base_url),
        clock=clock,
        multicast_min=multicast_min,
    )


@cache
def sender_services() -> SenderServices:
    """The Lambda function's services (one set per container)."""
    return from_config(RuntimeConfig.from_env())


def _project(config: RuntimeConfig) -> tuple[Settings, Mapping[str, Template]]:
    if not config.project_dir:
        return brand_settings(None), {}
    # Imported here: loading a project pulls in the journey language, which only a
    # cold start with a project directory needs.
    from kairos.project import load_project

    project = load_project(config.project_dir)
    return project.settings, project.templates


def _tracking_key(config: RuntimeConfig) -> bytes:
    secrets = webhook_secrets(config.webhook_secret_name)
    return (secrets.get("tracking_key") or secrets["hmac_key"]).encode()
