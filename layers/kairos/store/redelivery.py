"""Giving a received message back to its SQS queue for later (ports.Redelivery).

`ChangeMessageVisibility` to the delay; the sender then reports the record failed, so
SQS keeps it and hands it over again when the delay is over. The queue URL is looked up
once per queue ARN (`GetQueueUrl`) and kept for the container's life.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3


class QueueRedelivery:
    def __init__(self, client: Any | None = None) -> None:
        self._client: Any = client
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        # Made on first use: most batches return nothing, and a cold start skips it.
        with self._lock:
            if self._client is None:
                self._client = boto3.client("sqs")
            return self._client

    def return_later(self, queue: str, receipt: str, delay_seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self._url(queue), ReceiptHandle=receipt, VisibilityTimeout=delay_seconds
        )

    def _url(self, arn: str) -> str:
        url = self._urls.get(arn)
        if url is None:
            _, _, _, _, account, name = arn.split(":", 5)
            response = self.client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            url = self._urls[arn] = str(response["QueueUrl"])
        return url
