"""The channel queues: where the evaluator puts send requests for the sender.

`send` puts one request on its queue (one `SendMessage`). `send_many` is the fan-out
path: the requests one evaluator invocation produced, packed into the fewest messages
(`kairos.models.send_group.pack`: a step sent to many members travels as group messages
of up to 500 recipients under SQS's size limit), groups one `SendMessage` each, the
remaining single requests ten per `SendMessageBatch` (and never more than the limit per
request). It returns the delivery ids that did not make it onto a queue, so the caller
keeps their guard timers for a replay.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import boto3

from kairos.clock import utc
from kairos.models.send_group import MAX_MESSAGE_BYTES, Outgoing, SendGroup, body_bytes, pack
from kairos.models.send_request import SendRequest
from kairos.observability import logger
from kairos.richmenus.links import MenuLinks

MAX_DELAY_SECONDS = 900  # SQS' limit; later sends wait in the due index instead
BATCH_ENTRIES = 10
"""SQS's entries per SendMessageBatch."""
BATCH_BYTES = MAX_MESSAGE_BYTES
"""A whole SendMessageBatch request's bodies (SQS counts them all, with attributes)."""


def delay_for(message: SendRequest | SendGroup, now: datetime) -> int:
    """`not_before` in the future becomes DelaySeconds (sub-minute precision beyond
    the every-minute scheduler)."""
    if message.not_before is None:
        return 0
    wait = math.ceil((utc(message.not_before) - utc(now)).total_seconds())
    return max(0, min(MAX_DELAY_SECONDS, wait))


def attributes_of(message: SendRequest | SendGroup) -> dict[str, Any]:
    """Message attributes for operators looking at a queue (ids only)."""
    attributes: dict[str, Any] = {
        "journey": {"DataType": "String", "StringValue": message.journey},
    }
    if isinstance(message, SendRequest):
        attributes["delivery_id"] = {"DataType": "String", "StringValue": message.delivery_id}
    else:
        attributes["recipients"] = {
            "DataType": "Number",
            "StringValue": str(len(message.recipients)),
        }
    return attributes


class SendQueues:
    def __init__(self, queue_urls: dict[str, str], client: Any | None = None) -> None:
        self.queue_urls = queue_urls
        self.client: Any = client or boto3.client("sqs")
        self.sent = 0
        """Messages put on a queue (a group counts once)."""

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        self.client.send_message(
            QueueUrl=self._url(queue),
            MessageBody=request.model_dump_json(),
            DelaySeconds=delay_for(request, now),
            MessageAttributes=attributes_of(request),
        )
        self.sent += 1

    def send_many(self, outgoing: Sequence[Outgoing]) -> set[str]:
        """Everything in as few messages and requests as SQS allows; the delivery ids
        that are not on a queue (a failed request, a rejected entry)."""
        by_batch: dict[tuple[str, datetime], list[SendRequest]] = {}
        for item in outgoing:
            by_batch.setdefault((item.queue, utc(item.now)), []).append(item.request)
        failed: set[str] = set()
        for (queue, now), requests in by_batch.items():
            singles: list[SendRequest] = []
            for message in pack(requests):
                if isinstance(message, SendGroup):
                    failed |= self._send_group(message, queue, now)
                else:
                    singles.append(message)
            failed |= self._send_singles(singles, queue, now)
        return failed

    def send_menu_links(self, messages: Sequence[MenuLinks]) -> int:
        """Rich menu links onto the LINE queue, ten a SendMessageBatch; returns how many
        did not make it (logged: links are idempotent, the member's next change that
        moves their menu links again)."""
        lost = 0
        for start in range(0, len(messages), BATCH_ENTRIES):
            chunk = messages[start : start + BATCH_ENTRIES]
            entries = [
                {"Id": str(i), "MessageBody": m.model_dump_json()} for i, m in enumerate(chunk)
            ]
            try:
                response = self.client.send_message_batch(
                    QueueUrl=self._url("line"), Entries=entries
                )
                failed = len(response.get("Failed", []))
            except Exception:
                failed = len(chunk)
            if failed:
                logger.error("rich menu links not queued", extra={"messages": failed})
            lost += failed
            self.sent += len(chunk) - failed
        return lost

    def _send_group(self, group: SendGroup, queue: str, now: datetime) -> set[str]:
        try:
            self.client.send_message(
                QueueUrl=self._url(queue),
                MessageBody=group.model_dump_json(),
                DelaySeconds=delay_for(group, now),
                MessageAttributes=attributes_of(group),
            )
        except Exception:
            logger.exception(
                "send group not queued",
                extra={"journey": group.journey, "step": group.step,
                       "recipients": len(group.recipients)},
            )  # fmt: skip
            return {r.delivery_id for r in group.recipients}
        self.sent += 1
        return set()

    def _send_singles(self, singles: list[SendRequest], queue: str, now: datetime) -> set[str]:
        failed: set[str] = set()
        for chunk in _batches(singles):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": r.model_dump_json(),
                    "DelaySeconds": delay_for(r, now),
                    "MessageAttributes": attributes_of(r),
                }
                for i, r in enumerate(chunk)
            ]
            try:
                response = self.client.send_message_batch(
                    QueueUrl=self._url(queue), Entries=entries
                )
            except Exception:
                logger.exception("send requests not queued", extra={"requests": len(chunk)})
                failed |= {r.delivery_id for r in chunk}
                continue
            for entry in response.get("Failed", []):
                request = chunk[int(entry["Id"])]
                logger.warning(
                    "send request not queued",
                    extra={"delivery_id": request.delivery_id, "code": entry.get("Code")},
                )
                failed.add(request.delivery_id)
            self.sent += len(response.get("Successful", []))
        return failed

    def _url(self, queue: str) -> str:
        url = self.queue_urls.get(queue)
        if url is None:
            raise KeyError(f"no queue for channel {queue}: set KAIROS_QUEUE_{queue.upper()}")
        return url


def _batches(singles: list[SendRequest]) -> list[list[SendRequest]]:
    """At most ten entries and BATCH_BYTES of bodies per SendMessageBatch."""
    batches: list[list[SendRequest]] = []
    size = 0
    for request in singles:
        n = body_bytes(request)
        if batches and len(batches[-1]) < BATCH_ENTRIES and size + n <= BATCH_BYTES:
            batches[-1].append(request)
            size += n
        else:
            batches.append([request])
            size = n
    return batches
