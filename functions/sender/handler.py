"""Sender function: SQS channel queues → kairos.delivery → LINE / SES v2 / SNS SMS.

A body that is not a `SendRequest` fails its record (SQS moves it to the DLQ in the
end); a message to retry was given back to its queue with a backoff before its record
is reported failed. Services come from `kairos.wiring.sender`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.delivery.service import SendRecord
from kairos.observability import logger, metrics, tracer
from kairos.richmenus.links import split_menu_links
from kairos.wiring import sender as wiring


@logger.inject_lambda_context  # type: ignore[untyped-decorator]
@tracer.capture_lambda_handler  # type: ignore[untyped-decorator]
@metrics.log_metrics  # type: ignore[untyped-decorator]
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context, wiring.services())


def handle(
    event: dict[str, Any], context: LambdaContext, services: wiring.SenderServices
) -> dict[str, Any]:
    """One SQS batch with these services (the simulator and tests build their own)."""
    # A processor per batch: it keeps the batch's state, and local runs overlap batches.
    processor = BatchProcessor(
        event_type=EventType.SQS, model=SendRecord, raise_on_entire_batch_failure=False
    )
    # Rich menu links share the LINE queue; they are bulk requests, not deliveries.
    links, sends = split_menu_links(event)
    failed = services.linker.deliver(links).failed if links and services.linker else []
    if not sends["Records"]:
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    with services.sender.batch(sends, context) as batch:
        response: dict[str, Any] = dict(
            process_partial_response(
                event=sends, record_handler=batch.deliver, processor=processor, context=context
            )
        )
    if failed:
        earlier = list(response.get("batchItemFailures") or [])
        response["batchItemFailures"] = earlier + [{"itemIdentifier": m} for m in failed]
    return response
