"""Evaluator function: the table's stream (an event was applied to a member) and the
every-minute EventBridge schedule (time passed) → kairos.evaluator → queues and store;
and the daily rule's `{"kairos": "refresh-line-units", "time": ...}` → LINE's unit
statistics of every LINE send step (kairos.reports.line_units) beside its counters.

Thin: Powertools batch processing with partial failures for stream batches (the event
source mapping has ReportBatchItemFailures and bisect-on-error), and the scheduled
event's own `time` as "now" for ticks and for the daily job. A stream record's "now" is
its ApproximateCreationDateTime: when the change was committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.observability import count, logger, metrics, tracer
from kairos.reports.line_units import RefreshEvent
from kairos.store.changes import member_changes
from kairos.wiring.evaluator import EvaluatorServices, services

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle(
    event: dict[str, Any], context: LambdaContext, wiring: EvaluatorServices
) -> dict[str, Any]:
    """The handler with its services given: what the simulator calls on its backend."""
    evaluator = wiring.evaluator
    if "kairos" in event:  # the daily rule's constant input
        job = RefreshEvent.model_validate(event)
        # A warm container's logger still has the last stream record's keys: not this job's.
        logger.remove_keys(["member_id", "event_id"])
        summary: dict[str, int] = wiring.line_units.refresh(job.time)
        return dict(summary)
    if event.get("detail-type") == "Scheduled Event":
        now = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
        report = evaluator.on_tick(now)
        count("TimersProcessed", report.timers)
        if report.failed:
            count("TimersFailed", report.failed)
        return {"timers": report.timers, "failed": report.failed}

    def record_handler(record: DynamoDBRecord) -> None:
        for change in member_changes(record.raw_event["dynamodb"]):
            logger.append_keys(member_id=change.after.member_id, event_id=change.event.get("id"))
            evaluator.on_member_change(change.after, change.before, change.event, change.at)

    # The batch's sends go out together when it is done (group messages for a step
    # many members reached); a send not queued is replayed by its guard timer.
    with evaluator.sends_together():
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    return dict(response)


@logger.inject_lambda_context  # type: ignore[untyped-decorator]
@tracer.capture_lambda_handler  # type: ignore[untyped-decorator]
@metrics.log_metrics  # type: ignore[untyped-decorator]
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context, services())
