"""The channel queues: where the evaluator puts send requests for the sender."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import boto3

from kairos.clock import utc
from kairos.models.send_request import SendRequest

MAX_DELAY_SECONDS = 900  # SQS' limit; later sends wait in the due index instead


class SendQueues:
    def __init__(self, queue_urls: dict[str, str], client: Any | None = None) -> None:
        self.queue_urls = queue_urls
        self.client: Any = client or boto3.client("sqs")
        self.sent = 0

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        """`not_before` in the future becomes DelaySeconds (sub-minute precision beyond
        the every-minute scheduler)."""
        delay = 0
        if request.not_before is not None:
            delay = max(
                0,
                min(
                    MAX_DELAY_SECONDS,
                    math.ceil((utc(request.not_before) - utc(now)).total_seconds()),
                ),
            )
        url = self.queue_urls.get(queue)
        if url is None:
            raise KeyError(f"no queue for channel {queue}: set KAIROS_QUEUE_{queue.upper()}")
        self.client.send_message(
            QueueUrl=url,
            MessageBody=request.model_dump_json(),
            DelaySeconds=delay,
            MessageAttributes={
                "delivery_id": {"DataType": "String", "StringValue": request.delivery_id},
                "journey": {"DataType": "String", "StringValue": request.journey},
            },
        )
        self.sent += 1
