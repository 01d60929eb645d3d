"""The memory adapter's SQS: standard queues with delays, visibility timeouts, receive
counts and a redrive policy to a dead-letter queue, on the caller's clock.

Same request and response shapes as a boto3 SQS client, for the calls Kairos makes:
the evaluator's sends (one by one, or ten per SendMessageBatch), the sender's visibility
changes (backoff) and re-queued group remainders, and the runtime's receive/delete loop
that plays Lambda's event source mapping. Limits as SQS (and moto) enforce them: a body
over the queue's `MaximumMessageSize` (1 MiB unless set; the local stack sets 256 KiB)
is refused, a batch has 1–10 entries with distinct ids and at most 1 MiB of bodies.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
MAXIMUM_MESSAGE_LENGTH = 1_048_576
"""SQS's largest message (and batch request) since 2025, and a queue's default."""
BATCH_ENTRIES = 10


def _refuse(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class Message:
    message_id: str
    body: str
    attributes: dict[str, Any]
    sent_at: float
    visible_at: float
    receive_count: int = 0
    first_received_at: float | None = None
    receipt: str | None = None


@dataclass
class Queue:
    name: str
    url: str
    arn: str
    visibility_timeout: int = 30
    delay_seconds: int = 0
    maximum_message_size: int = MAXIMUM_MESSAGE_LENGTH
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None
    messages: list[Message] = field(default_factory=list)

    def wakeups(self) -> list[float]:
        return [m.visible_at for m in self.messages]


class MemorySQS:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.queues: dict[str, Queue] = {}
        self.requests: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        """Messages put on each queue (by name), however they were sent."""

    def by_url(self, url: str) -> Queue:
        for queue in self.queues.values():
            if queue.url == url:
                return queue
        raise ClientError(
            {"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": url}},
            "GetQueueUrl",
        )

    def by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)

    def ready(self, url: str) -> bool:
        now = self.clock()
        return any(m.visible_at <= now for m in self.by_url(url).messages)

    def wakeups(self) -> list[float]:
        return [t for q in self.queues.values() for t in q.wakeups()]

    def client(self) -> MemorySQSClient:
        return MemorySQSClient(self)


def _attribute_md5(attributes: dict[str, Any]) -> str:
    return hashlib.md5(json.dumps(attributes, sort_keys=True).encode()).hexdigest()


class MemorySQSClient:
    def __init__(self, backend: MemorySQS) -> None:
        self.backend = backend

    def _count(self, operation: str) -> None:
        self.backend.requests[operation] += 1

    def create_queue(self, QueueName: str, Attributes: dict[str, str] | None = None) -> Any:
        attributes = Attributes or {}
        url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QueueName}"
        queue = Queue(
            name=QueueName,
            url=url,
            arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QueueName}",
            visibility_timeout=int(attributes.get("VisibilityTimeout", 30)),
            delay_seconds=int(attributes.get("DelaySeconds", 0)),
            maximum_message_size=int(attributes.get("MaximumMessageSize", MAXIMUM_MESSAGE_LENGTH)),
        )
        if "RedrivePolicy" in attributes:
            policy = json.loads(attributes["RedrivePolicy"])
            queue.dead_letter_arn = policy["deadLetterTargetArn"]
            queue.max_receive_count = int(policy["maxReceiveCount"])
        self.backend.queues[QueueName] = queue
        return {"QueueUrl": url}

    def get_queue_url(self, QueueName: str, **_: Any) -> Any:
        self._count("GetQueueUrl")
        queue = self.backend.queues.get(QueueName)
        if queue is None:
            raise ClientError(
                {
                    "Error": {
                        "Code": "AWS.SimpleQueueService.NonExistentQueue",
                        "Message": QueueName,
                    }
                },
                "GetQueueUrl",
            )
        return {"QueueUrl": queue.url}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str] | None = None) -> Any:
        queue = self.backend.by_url(QueueUrl)
        now = self.backend.clock()
        return {
            "Attributes": {
                "QueueArn": queue.arn,
                "VisibilityTimeout": str(queue.visibility_timeout),
                "ApproximateNumberOfMessages": str(
                    sum(1 for m in queue.messages if m.visible_at <= now)
                ),
                "ApproximateNumberOfMessagesNotVisible": str(
                    sum(1 for m in queue.messages if m.visible_at > now)
                ),
            }
        }

    @staticmethod
    def _validate(queue: Queue, body: str, delay: int | None, operation: str) -> None:
        if len(body) > queue.maximum_message_size:
            raise _refuse(
                "InvalidParameterValue",
                "One or more parameters are invalid. Reason: Message must be shorter "
                f"than {queue.maximum_message_size} bytes.",
                operation,
            )
        if delay is not None and not 0 <= int(delay) <= 900:
            raise _refuse("InvalidParameterValue", "DelaySeconds 0..900", operation)

    def _enqueue(self, queue: Queue, body: str, attributes: Any, delay: int | None) -> Message:
        now = self.backend.clock()
        delay_seconds = queue.delay_seconds if delay is None else int(delay)
        message = Message(
            message_id=str(uuid.uuid4()),
            body=body,
            attributes=dict(attributes or {}),
            sent_at=now,
            visible_at=now + delay_seconds,
        )
        queue.messages.append(message)
        self.backend.accepted[queue.name] += 1
        return message

    def send_message(self, QueueUrl: str, MessageBody: str, **kwargs: Any) -> Any:
        self._count("SendMessage")
        queue = self.backend.by_url(QueueUrl)
        self._validate(queue, MessageBody, kwargs.get("DelaySeconds"), "SendMessage")
        message = self._enqueue(
            queue, MessageBody, kwargs.get("MessageAttributes"), kwargs.get("DelaySeconds")
        )
        return {
            "MessageId": message.message_id,
            "MD5OfMessageBody": hashlib.md5(MessageBody.encode()).hexdigest(),
        }

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        self._count("SendMessageBatch")
        queue = self.backend.by_url(QueueUrl)
        operation = "SendMessageBatch"
        total = sum(len(entry["MessageBody"]) for entry in Entries)
        if total > MAXIMUM_MESSAGE_LENGTH:
            raise _refuse(
                "AWS.SimpleQueueService.BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAXIMUM_MESSAGE_LENGTH} bytes.",
                operation,
            )
        ids = [entry["Id"] for entry in Entries]
        if len(set(ids)) != len(ids):
            raise _refuse(
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id repeated.", operation
            )
        if not Entries:
            raise _refuse("AWS.SimpleQueueService.EmptyBatchRequest", "No entries.", operation)
        if len(Entries) > BATCH_ENTRIES:
            raise _refuse(
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {BATCH_ENTRIES}.",
                operation,
            )
        for entry in Entries:  # all or nothing, as SQS checks them before sending any
            self._validate(queue, entry["MessageBody"], entry.get("DelaySeconds"), operation)
        successful = []
        for entry in Entries:
            message = self._enqueue(
                queue,
                entry["MessageBody"],
                entry.get("MessageAttributes"),
                entry.get("DelaySeconds"),
            )
            successful.append({"Id": entry["Id"], "MessageId": message.message_id})
        return {"Successful": successful, "Failed": []}

    def receive_message(self, QueueUrl: str, **kwargs: Any) -> Any:
        self._count("ReceiveMessage")
        queue = self.backend.by_url(QueueUrl)
        now = self.backend.clock()
        wanted = int(kwargs.get("MaxNumberOfMessages", 1))
        visibility = int(kwargs.get("VisibilityTimeout", queue.visibility_timeout))
        received: list[dict[str, Any]] = []
        for message in list(queue.messages):
            if len(received) >= wanted:
                break
            if message.visible_at > now:
                continue
            if (
                queue.max_receive_count is not None
                and message.receive_count >= queue.max_receive_count
                and queue.dead_letter_arn
            ):
                # Received too often without being deleted: to the dead-letter queue.
                queue.messages.remove(message)
                dead = self.backend.by_arn(queue.dead_letter_arn)
                if dead is not None:
                    message.visible_at = now
                    dead.messages.append(message)
                continue
            message.receive_count += 1
            message.first_received_at = message.first_received_at or now
            message.visible_at = now + visibility
            message.receipt = f"{message.message_id}#{message.receive_count}"
            received.append(self._shape(message))
        return {"Messages": received} if received else {}

    @staticmethod
    def _shape(message: Message) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "MessageId": message.message_id,
            "ReceiptHandle": message.receipt,
            "MD5OfBody": hashlib.md5(message.body.encode()).hexdigest(),
            "Body": message.body,
            "Attributes": {
                "SentTimestamp": str(int(message.sent_at * 1000)),
                "ApproximateReceiveCount": str(message.receive_count),
                "ApproximateFirstReceiveTimestamp": str(
                    int((message.first_received_at or message.sent_at) * 1000)
                ),
                "SenderId": ACCOUNT,
            },
        }
        if message.attributes:
            shaped["MessageAttributes"] = message.attributes
            shaped["MD5OfMessageAttributes"] = _attribute_md5(message.attributes)
        return shaped

    def _find(self, queue: Queue, receipt: str) -> Message | None:
        return next((m for m in queue.messages if m.receipt == receipt), None)

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> Any:
        self._count("DeleteMessage")
        queue = self.backend.by_url(QueueUrl)
        message = self._find(queue, ReceiptHandle)
        if message is not None:
            queue.messages.remove(message)
        return {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        self._count("DeleteMessageBatch")
        queue = self.backend.by_url(QueueUrl)
        for entry in Entries:
            message = self._find(queue, entry["ReceiptHandle"])
            if message is not None:
                queue.messages.remove(message)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def change_message_visibility(
        self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int
    ) -> Any:
        self._count("ChangeMessageVisibility")
        queue = self.backend.by_url(QueueUrl)
        message = self._find(queue, ReceiptHandle)
        if message is None:
            raise ClientError(
                {"Error": {"Code": "ReceiptHandleIsInvalid", "Message": ReceiptHandle}},
                "ChangeMessageVisibility",
            )
        message.visible_at = self.backend.clock() + int(VisibilityTimeout)
        return {}

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[Any]) -> Any:
        for entry in Entries:
            self.change_message_visibility(
                QueueUrl, entry["ReceiptHandle"], entry["VisibilityTimeout"]
            )
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}
