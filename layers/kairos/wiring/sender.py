"""Wiring the sender: which adapters, settings and clock its services run with.

- `services()`: what the Lambda function runs with, built once per container
  (`functools.cache`) from the environment's `RuntimeConfig` and boto3 clients.
- `build(config, aws, …)`: the same from explicit clients (`kairos.aws.AwsClients`: the
  emulator's, or the memory backend's in a simulation) — the DynamoDB stores, the
  idempotency table, SQS for returned messages, LINE (token from Secrets Manager), SES v2
  and SNS, the brand's project (settings and templates) — with what a caller wants
  instead: settings and templates, a virtual clock, its own persistence layer, another
  LINE transport (a simulation's in-process fake LINE), the rate limiter's pace.
- `assemble(…)`: the composition itself from stores, channels and a persistence layer
  given explicitly (unit tests pass in-memory fakes of the ports).

The clock is the sender's "now" (see service.py): the wall clock in Lambda, the
simulator's virtual clock through `build(clock=…)`. The pace is the seconds the rate
limiter counts and waits in (limiter.py): the wall clock and a real sleep in Lambda, a
simulation's own seconds through `build(pace=…)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from kairos.aws import AwsClients, Boto3Clients
from kairos.clock import Clock
from kairos.config import RuntimeConfig
from kairos.delivery.billing import MonthCounters
from kairos.delivery.channels.aws import provider_clients
from kairos.delivery.channels.base import Channels, LineSender
from kairos.delivery.channels.email import EmailChannel
from kairos.delivery.channels.sms import SmsChannel
from kairos.delivery.idempotency import PersistenceClaims, idempotency_config
from kairos.delivery.limiter import WALL_PACE, Pace, RateLimiter
from kairos.delivery.menu_links import MenuLinker
from kairos.delivery.multicast import Multicaster
from kairos.delivery.planning import Planner
from kairos.delivery.ports import (
    DeliveryStorePort,
    LimitStorePort,
    Redelivery,
    ReplyTokens,
    SendHolds,
)
from kairos.delivery.pushing import Pusher
from kairos.delivery.recording import Recorder
from kairos.delivery.replying import Replier
from kairos.delivery.sending import Dispatcher
from kairos.delivery.service import Sender
from kairos.delivery.tracking import Tracker
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.richmenus.api import HttpTransport, LineApi
from kairos.secrets import SecretStore
from kairos.store.claims import BatchedDynamoDBPersistenceLayer
from kairos.store.costs import MonthCounterStore
from kairos.store.deliveries import DeliveryStore
from kairos.store.limits import LimitStore
from kairos.store.redelivery import QueueRedelivery
from kairos.store.reply_tokens import ReplyTokenStore
from kairos.store.send_holds import SendHoldStore


@dataclass(frozen=True)
class SenderServices:
    sender: Sender
    """What the handler calls: `sender.batch(event, context)`."""
    channels: Channels
    deliveries: DeliveryStorePort
    limits: LimitStorePort
    persistence: BasePersistenceLayer
    """The idempotency records' persistence layer."""
    linker: MenuLinker | None = None
    """Rich menu links off the LINE queue (kairos.delivery.menu_links)."""


def wall_clock() -> datetime:
    return datetime.now(UTC)


def assemble(
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
    concurrency: int = 16,
    line_api: LineApi | None = None,
    months: MonthCounters | None = None,
    reply_tokens: ReplyTokens | None = None,
    holds: SendHolds | None = None,
) -> SenderServices:
    """The sender from explicit parts. `limiter` makes each batch's rate limiter (the
    default draws on `limits` with the wall clock); `multicast_min` is the smallest group
    of identical LINE messages sent as a multicast; `concurrency` the sends one invocation
    has in flight at once; `reply_tokens` lets sends offered a LINE reply token reply
    (free) before they push (kairos.delivery.replying; `channels.line.replies`)."""
    config = idempotency or idempotency_config()
    planner = Planner(
        settings=settings,
        templates=templates,
        members=deliveries,
        windows=deliveries,
        quota=limits,
        tracker=tracker,
    )
    claims = PersistenceClaims(persistence, config)
    multicaster = (
        Multicaster(planner=planner, line=channels.line, claims=claims)
        if channels.line is not None
        else None
    )
    dispatcher = Dispatcher(planner=planner, channels=channels)
    line_settings = settings.channels.line
    replier = (
        Replier(dispatcher, channels.line, reply_tokens, line_settings.reply_rate_per_second)
        if channels.line is not None and reply_tokens is not None and line_settings.replies
        else None
    )
    sender = Sender(
        planner=planner,
        pusher=Pusher(
            dispatcher=dispatcher,
            claims=claims,
            replier=replier,
            holds=holds,
            concurrency=concurrency,
        ),
        multicaster=multicaster,
        recorder=Recorder(log=deliveries, counters=deliveries, months=months, zone=settings.zone),
        redelivery=redelivery,
        persistence=persistence,
        config=config,
        limiter=limiter or (lambda: RateLimiter(limits)),
        clock=clock,
        multicast_min=multicast_min,
    )
    new_limiter = limiter or (lambda: RateLimiter(limits))
    linker = (
        MenuLinker(line_api, new_limiter, settings.channels.line.richmenu_rate_per_second)
        if line_api is not None
        else None
    )
    return SenderServices(sender, channels, deliveries, limits, persistence, linker)


def build(
    config: RuntimeConfig,
    aws: AwsClients,
    *,
    clock: Clock = wall_clock,
    settings: Settings | None = None,
    templates: Mapping[str, Template] | None = None,
    persistence: BasePersistenceLayer | None = None,
    line: LineSender | None = None,
    pace: Pace = WALL_PACE,
    multicast_min: int = 2,
    concurrency: int = 16,
    line_api: LineApi | None = None,
) -> SenderServices:
    """The sender on the resources `config` names, through `aws`'s clients (boto3 in
    Lambda and on the emulator, the memory backend's in a simulation). Settings and
    templates come from the brand's project (`KAIROS_PROJECT_DIR`) unless given; the
    idempotency records use the Powertools DynamoDB layer on `aws`'s DynamoDB client
    unless another `persistence` is given; LINE is the Messaging API at
    `config.line_api_endpoint` (line-bot-sdk, token from Secrets Manager) unless another
    `line` transport is given; the rate limiter counts and waits in `pace`'s seconds."""
    if settings is None and templates is None:
        settings, templates = _project(config)
    settings = settings or Settings()
    dynamodb = aws.client("dynamodb")
    secrets = SecretStore(aws)
    providers = provider_clients(aws)
    limits = LimitStore(config.table, dynamodb)
    channels = Channels(
        line=line or _line_api(config, secrets, concurrency),
        email=EmailChannel(
            providers.client("sesv2"),
            sender=settings.channels.email.from_,
            reply_to=settings.channels.email.reply_to,
            configuration_set=config.ses_configuration_set,
        ),
        sms=SmsChannel(providers.client("sns"), sender_id=settings.channels.sms.sender_id),
    )
    return assemble(
        settings=settings,
        templates=templates or {},
        deliveries=DeliveryStore(
            config.table, dynamodb, timeline_ttl_days=config.timeline_ttl_days
        ),
        limits=limits,
        redelivery=QueueRedelivery(aws),
        persistence=persistence
        or BatchedDynamoDBPersistenceLayer(
            table_name=config.idempotency_table, boto3_client=dynamodb
        ),
        channels=channels,
        tracker=Tracker(
            secrets.tracking_key(config.tracking_secret_name), config.tracking_base_url
        ),
        clock=clock,
        limiter=lambda: RateLimiter.paced(limits, pace),
        multicast_min=multicast_min,
        concurrency=concurrency,
        months=MonthCounterStore(config.table, dynamodb),
        reply_tokens=ReplyTokenStore(config.table, dynamodb),
        holds=SendHoldStore(config.table, dynamodb),
        line_api=line_api
        or LineApi(
            HttpTransport(
                config.line_api_endpoint,
                token=lambda: secrets.line(config.line_secret_name)["channel_access_token"],
            )
        ),
    )


def _line_api(config: RuntimeConfig, secrets: SecretStore, concurrency: int) -> LineSender:
    # Imported here: line-bot-sdk takes over a second to import, which a sender given
    # another LINE transport (a simulation's) need not spend.
    from kairos.delivery.channels.line import LineChannel

    return LineChannel(
        config.line_api_endpoint,
        token=lambda: secrets.line(config.line_secret_name)["channel_access_token"],
        # One kept-alive connection per send in flight: none opened per message.
        pool_size=concurrency,
    )


@cache
def services() -> SenderServices:
    """The Lambda function's services (one set per container)."""
    return build(RuntimeConfig.from_env(), Boto3Clients())


def _project(config: RuntimeConfig) -> tuple[Settings, Mapping[str, Template]]:
    if not config.project_dir:
        return Settings(), {}
    # Imported here: loading a project pulls in the journey language, which only a
    # cold start with a project directory needs.
    from kairos.project import load_project

    project = load_project(config.project_dir)
    return project.settings, project.templates
