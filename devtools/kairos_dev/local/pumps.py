"""The local runtime's event source mappings: what Lambda does between the services.

- StreamPump: DynamoDB stream → evaluator (only member-profile records, as the CDK
  filter does; partial batch failures retried from the failed record, then set aside
  as the on-failure destination would).
- QueuePump: SQS channel queues → sender (messages the handler reports as failed stay
  on the queue and come back after their visibility timeout; the rest are deleted).
- schedule_event: the EventBridge "every minute" event whose `time` is "now".

Each `pump_once()` does one bounded step and returns how many records it handed over,
so the real-time runtime loops on them and the simulator drives them deterministically.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kairos.clock import utc
from kairos.observability import logger
from kairos_dev.local.emulator import REGION

Invoke = Callable[[dict[str, Any]], Any]


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


class StreamPump:
    """Reads every shard of the main table's stream, in order."""

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table: str,
        invoke: Invoke,
        batch_size: int = 100,
        max_retries: int = 3,
        observer: Callable[[dict[str, Any]], None] | None = None,
        peek: Callable[[], int] | None = None,
    ) -> None:
        self.streams = streams
        self.observer = observer
        """Sees every record, before the profile filter (the simulator watches timers)."""
        self.peek = peek
        """How many records the stream holds; lets a caller skip reads when none are new."""
        self.seen = 0
        self.invoke = invoke
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.stream_arn: str = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.iterators: dict[str, str | None] = {}
        self.failed: list[dict[str, Any]] = []
        """Records given up on (the on-failure destination)."""

    def _refresh_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self.iterators:
                self.iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    @property
    def behind(self) -> bool:
        """Records are on the stream that were not read yet (a burst larger than a
        read: one sender batch of group messages writes thousands at once)."""
        return self.peek is not None and self.peek() > self.seen

    def pump_once(self) -> int:
        if self.peek is not None and self.iterators and self.peek() <= self.seen:
            return 0
        if not self.iterators or self.peek is None:
            self._refresh_shards()
        handed = 0
        for shard_id, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            self.iterators[shard_id] = response.get("NextShardIterator")
            records = [self._lambda_record(r) for r in response.get("Records", [])]
            self.seen += len(records)
            if self.observer is not None:
                for record in records:
                    self.observer(record)
            records = [r for r in records if _is_profile(r)]
            if records:
                self._deliver(records)
                handed += len(records)
        return handed

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        data = dict(record["dynamodb"])
        if "ApproximateCreationDateTime" in data:
            data["ApproximateCreationDateTime"] = _epoch(data["ApproximateCreationDateTime"])
        # A fresh id only for a record without one (not made and thrown away for each).
        event_id = record["eventID"] if "eventID" in record else str(uuid.uuid4())
        return {
            "eventID": event_id,
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": REGION,
            "dynamodb": data,
            "eventSourceARN": self.stream_arn,
        }

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        pending = records
        attempts = 0
        while pending:
            result = self.invoke({"Records": pending}) or {}
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            if not failures:
                return
            # Like Lambda: checkpoint before the first failed record and retry from it.
            sequence = [r["dynamodb"]["SequenceNumber"] for r in pending]
            first = min(sequence.index(f) for f in failures if f in sequence)
            pending = pending[first:]
            attempts += 1
            if attempts > self.max_retries:
                logger.error("stream records set aside", extra={"count": len(pending)})
                self.failed.extend(pending)
                return


def _is_profile(record: dict[str, Any]) -> bool:
    keys = record["dynamodb"].get("Keys", {})
    return bool(keys.get("sk", {}).get("S") == "PROFILE")


class QueuePump:
    """Receives from one SQS queue and hands batches to the sender like Lambda does."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        invoke: Invoke,
        batch_size: int = 10,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.sqs = sqs
        self.ready = ready
        """Whether a receive would return anything (lets a caller skip empty polls)."""
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = batch_size
        self.queue_arn: str = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def pump_once(self) -> int:
        if self.ready is not None and not self.ready():
            return 0
        # Lambda hands over up to `batch_size` messages (more than one receive's ten when
        # the mapping has a batching window): receive until the batch is full or empty.
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            asked = min(10, self.batch_size - len(messages))
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=asked,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            messages += got
            if len(got) < asked:
                break
        if not messages:
            return 0
        records = [self._lambda_record(m) for m in messages]
        result = self.invoke({"Records": records}) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value.get("DataType", "String"),
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody")
            or hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }


def schedule_event(now: datetime) -> dict[str, Any]:
    """EventBridge's scheduled event; its `time` is the evaluator's "now"."""
    moment = utc(now).replace(microsecond=0)
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, moment.isoformat())),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:123456789012:rule/kairos-every-minute"],
        "detail": {},
    }
