"""Evaluator function: the table's stream (an event was applied to a member) and the
every-minute EventBridge schedule (time passed) → kairos.evaluator → queues and store.

Thin: Powertools batch processing with partial failures for stream batches (the event
source mapping has ReportBatchItemFailures and bisect-on-error), and the scheduled
event's own `time` as "now" for ticks. A stream record's "now" is its
ApproximateCreationDateTime: when the change was committed.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.clock import from_epoch_ms
from kairos.config import RuntimeConfig
from kairos.evaluator import Evaluator
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.observability import logger, metrics, tracer
from kairos.project import load_project
from kairos.secrets import member_id_key
from kairos.store.codec import from_item
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository, member_from_item
from kairos.store.queues import SendQueues

config = RuntimeConfig.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def evaluator() -> Evaluator:
    if not config.project_dir:
        raise RuntimeError("KAIROS_PROJECT_DIR is not set: the evaluator has no journeys")
    project = load_project(config.project_dir)
    members = MemberRepository(
        config.table,
        event_ttl_days=config.event_ttl_days,
        timeline_ttl_days=config.timeline_ttl_days,
    )
    zone = project.settings.zone

    def apply_change(event: CanonicalEvent, now: datetime) -> None:
        ingest(
            [event], members, now, zone, member_id_key=member_id_key(config.member_id_secret_name)
        )

    built = Evaluator(
        project=project,
        store=EngineStore(config.table, members.client, timeline_ttl_days=config.timeline_ttl_days),
        members=members,
        queues=SendQueues(config.queue_urls),
        apply_change=apply_change,
    )
    built.publish()
    return built


def record_handler(record: DynamoDBRecord) -> None:
    raw = record.raw_event["dynamodb"]
    new_image = raw.get("NewImage")
    if not new_image:
        return  # a deleted profile: nothing to evaluate
    old_image = raw.get("OldImage")
    if old_image and old_image.get("last_event_id") == new_image.get("last_event_id"):
        return  # rewritten without a new event
    after = member_from_item(new_image)
    before = member_from_item(old_image) if old_image else None
    event = from_item(new_image).get("last_event") or {}
    now = from_epoch_ms(float(raw["ApproximateCreationDateTime"]) * 1000)
    logger.append_keys(member_id=after.member_id, event_id=event.get("id"))
    evaluator().on_member_change(after, before, event, now)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        now = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
        report = evaluator().on_tick(now)
        metrics.add_metric(name="TimersProcessed", unit="Count", value=report.timers)
        if report.failed:
            metrics.add_metric(name="TimersFailed", unit="Count", value=report.failed)
        return {"timers": report.timers, "failed": report.failed}
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
