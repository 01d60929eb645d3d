"""The evaluator function's wiring: the brand project, the engine and member stores, the
channel queues, and the path by which a journey's member changes are applied (through
ingest, like any other event); and the daily job reading LINE's unit statistics (LINE
over HTTP at `KAIROS_LINE_API_ENDPOINT`, the channel token from the LINE secret, the
store beside the step counters). Built once per container from the environment
(`services()`), or from explicit clients (`build`) when the simulator runs the same
handler on the memory backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)

from kairos.aws import AwsClients, Boto3Clients
from kairos.config import RuntimeConfig
from kairos.evaluator.service import Evaluator
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.project import load_project
from kairos.reports.line_units import LineUnits, UnitStatisticsApi, line_steps
from kairos.richmenus.api import HttpTransport, LineApi
from kairos.secrets import SecretStore
from kairos.store.enrolments import EngineStore
from kairos.store.line_units import LineUnitStore
from kairos.store.members import MemberRepository
from kairos.store.queues import SendQueues


@dataclass(frozen=True)
class EvaluatorServices:
    evaluator: Evaluator
    line_units: LineUnits
    """The daily job: LINE's unit statistics of every LINE send step."""


def build(
    config: RuntimeConfig, aws: AwsClients, *, line_api: UnitStatisticsApi | None = None
) -> EvaluatorServices:
    """`line_api`: another way to LINE's statistics (a simulation's in-process fake)
    instead of the Messaging API at `config.line_api_endpoint`."""
    if not config.project_dir:
        raise RuntimeError("KAIROS_PROJECT_DIR is not set: the evaluator has no journeys")
    project = load_project(config.project_dir)
    dynamodb = aws.client("dynamodb")
    members = MemberRepository(
        config.table,
        dynamodb,
        event_ttl_days=config.event_ttl_days,
        timeline_ttl_days=config.timeline_ttl_days,
    )
    zone = project.settings.zone
    secrets = SecretStore(aws)

    def apply_change(event: CanonicalEvent, now: datetime) -> None:
        key = secrets.member_id_key(config.member_id_secret_name)  # the webhook's key
        ingest([event], members, now, zone, member_id_key=key)

    queues = SendQueues(config.queue_urls, aws.client("sqs"))
    evaluator = Evaluator(
        project=project,
        store=EngineStore(config.table, dynamodb, timeline_ttl_days=config.timeline_ttl_days),
        members=members,
        queues=queues,
        apply_change=apply_change,
        menu_links=queues if "line" in config.queue_urls else None,
    )
    evaluator.publish()

    def token() -> str:
        return secrets.line(config.line_secret_name)["channel_access_token"]

    line_units = LineUnits(
        api=line_api or LineApi(HttpTransport(config.line_api_endpoint, token=token)),
        store=LineUnitStore(config.table, dynamodb),
        steps=line_steps(project.journeys.values()),
        token_configured=lambda: line_token_configured(secrets, config.line_secret_name),
    )
    return EvaluatorServices(evaluator=evaluator, line_units=line_units)


def line_token_configured(secrets: SecretStore, name: str) -> bool:
    """Whether the LINE secret `name` holds a channel access token: False when it is
    missing, unreadable, not JSON, or its token is empty or still a `<...>` placeholder."""
    try:
        token = secrets.line(name).get("channel_access_token", "").strip()
    except (GetParameterError, TransformParameterError, ValueError):
        return False
    return bool(token) and not token.startswith("<")


@cache
def services() -> EvaluatorServices:
    return build(RuntimeConfig.from_env(), Boto3Clients())
