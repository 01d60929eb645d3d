"""The evaluator function's wiring: the brand project, the engine and member stores, the
channel queues, and the path by which a journey's member changes are applied (through
ingest, like any other event). Built once per container from the environment
(`services()`), or from explicit clients (`build`) when the simulator runs the same
handler on the memory backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from kairos.aws import AwsClients, Boto3Clients
from kairos.config import RuntimeConfig
from kairos.evaluator.service import Evaluator
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.project import load_project
from kairos.secrets import SecretStore
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos.store.queues import SendQueues


@dataclass(frozen=True)
class EvaluatorServices:
    evaluator: Evaluator


def build(config: RuntimeConfig, aws: AwsClients) -> EvaluatorServices:
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
    return EvaluatorServices(evaluator=evaluator)


@cache
def services() -> EvaluatorServices:
    return build(RuntimeConfig.from_env(), Boto3Clients())
