"""The sender service through the real handler, wired with `assemble(...)` on in-memory
adapters (fakes, not mocks): exactly once across redeliveries, multicasts and pushes
sharing one set of claims, deferral and retries through the queue."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from kairos.delivery.channels.base import Channels
from kairos.delivery.model import Throttled
from kairos.delivery.tracking import Tracker
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.wiring.sender import SenderServices, assemble
from kairos_dev.local.functions import LambdaContext, load_function
from tests.unit.delivery.fakes import (
    FakeLineApi,
    MemoryDeliveries,
    MemoryIdempotency,
    MemoryLimits,
    MemoryRedelivery,
    MemoryReplyTokens,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
QUEUE = "arn:aws:sqs:ap-northeast-1:123456789012:kairos-line"
HELLO = Template.model_validate({"id": "hello", "line": {"text": "{{ profile.name }}，早安！"}})
NEWS = Template.model_validate({"id": "news", "line": {"text": "本週新品上架！"}})
_ids = count()


@dataclass
class World:
    deliveries: MemoryDeliveries
    limits: MemoryLimits
    redelivery: MemoryRedelivery
    idempotency: MemoryIdempotency
    line: FakeLineApi
    services: SenderServices

    def member(self, member_id: str, **profile: Any) -> str:
        self.deliveries.members[member_id] = Member(
            member_id=member_id, profile={"line_user_id": f"U-{member_id}", **profile}
        )
        return member_id

    def send(
        self, *requests: SendRequest, receives: int = 1, context: LambdaContext | None = None
    ) -> dict[str, Any]:
        """One SQS batch of these requests through the sender's handler."""
        event = {"Records": [_record(r, receives) for r in requests]}
        context = context or LambdaContext(function_name="kairos-sender")
        answer: dict[str, Any] = load_function("sender").handle(event, context, self.services)
        return answer

    def failed(self, answer: dict[str, Any]) -> list[str]:
        return [f["itemIdentifier"] for f in answer["batchItemFailures"]]

    def counters(self) -> dict[str, int]:
        return {name: n for (_, _, name), n in self.deliveries.steps.items()}


def world(
    settings: Settings | None = None,
    persistence: MemoryIdempotency | None = None,
    reply_tokens: MemoryReplyTokens | None = None,
    holds: Any = None,
) -> World:
    deliveries, limits, line = MemoryDeliveries(), MemoryLimits(), FakeLineApi()
    redelivery, idempotency = MemoryRedelivery(), persistence or MemoryIdempotency()
    services = assemble(
        settings=settings or Settings(),
        templates={"hello": HELLO, "news": NEWS},
        deliveries=deliveries,
        limits=limits,
        redelivery=redelivery,
        persistence=idempotency,
        channels=Channels(line=line),
        tracker=Tracker(b"tracking-key", "https://hooks.shop.example/t/"),
        clock=lambda: NOW,
        reply_tokens=reply_tokens,
        holds=holds,
    )
    return World(deliveries, limits, redelivery, idempotency, line, services)


def request(member_id: str, template: str = "hello", **fields: Any) -> SendRequest:
    return SendRequest.model_validate(
        {
            "delivery_id": f"d-{next(_ids)}",
            "member_id": member_id,
            "journey": "welcome",
            "journey_version": "1",
            "step": "greet",
            "enrolment_id": f"e-{member_id}",
            "template": template,
            "template_version": "1",
            "channel": "line",
            "requested_at": NOW,
            **fields,
        }
    )


def _record(request: SendRequest, receives: int) -> dict[str, Any]:
    body = request.model_dump_json()
    sent = str(int(NOW.timestamp() * 1000))
    return {
        "messageId": f"m-{request.delivery_id}",
        "receiptHandle": f"r-{request.delivery_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receives),
            "SentTimestamp": sent,
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": sent,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE,
        "awsRegion": "ap-northeast-1",
    }


def test_a_batch_handed_over_twice_sends_once_and_counts_once() -> None:
    # Given two members and a batch with a personal greeting for each
    w = world()
    sends = [request(w.member("m1", name="Amy")), request(w.member("m2", name="Bo"))]
    # When Lambda hands the same batch over twice
    first, again = w.send(*sends), w.send(*sends)
    # Then each member got one push, both batches succeeded, and the counters saw 2 sends
    assert w.failed(first) == [] and w.failed(again) == []
    assert w.line.recipients() == Counter({"U-m1": 1, "U-m2": 1})
    assert [c.endpoint for c in w.line.calls] == ["push", "push"]
    assert w.counters() == {"sent": 2, "sent_line": 2}
    assert {d: o.status for d, o in w.deliveries.records.items()} == {
        s.delivery_id: "sent" for s in sends
    }
    # And each batch read its members once, and every claim is completed
    assert w.deliveries.reads == 2
    assert w.idempotency.statuses() == ["COMPLETED", "COMPLETED"]


def test_identical_messages_go_out_as_one_multicast_and_a_regrouped_redelivery_sends_nothing() -> None:  # fmt: skip
    # Given three members sent the same news in one batch
    w = world()
    news = [request(w.member(f"m{i}"), template="news") for i in range(3)]
    w.send(*news)
    assert [(c.endpoint, len(c.to)) for c in w.line.calls] == [("multicast", 3)]
    # When two of those requests come again, grouped with a new member's
    again = [*news[:2], request(w.member("m3"), template="news")]
    answer = w.send(*again)
    # Then the second multicast went to the new member alone, and it all succeeded
    assert w.failed(answer) == []
    assert w.line.recipients() == Counter({f"U-m{i}": 1 for i in range(4)})
    assert [(c.endpoint, c.to) for c in w.line.calls][1:] == [("multicast", ["U-m3"])]
    assert w.counters() == {"sent": 4, "sent_line": 4}
    record = w.deliveries.records[news[0].delivery_id]
    assert (record.endpoint, record.provider_message_id) == ("multicast", "req-1")


def test_a_member_pushed_earlier_is_left_out_of_a_later_multicast() -> None:
    # Given the news already pushed to one member on its own
    w = world()
    m0, m1, m2 = (w.member(f"m{i}") for i in range(3))
    alone = request(m0, template="news")
    w.send(alone)
    # When a batch with that request and two more for the same news comes
    w.send(alone, request(m1, template="news"), request(m2, template="news"))
    # Then the multicast went to the other two only
    assert [(c.endpoint, c.to) for c in w.line.calls] == [
        ("push", ["U-m0"]),
        ("multicast", ["U-m1", "U-m2"]),
    ]
    assert w.counters() == {"sent": 3, "sent_line": 3}


def test_a_send_not_due_yet_goes_back_to_its_queue_until_its_time() -> None:
    # Given a request due 90 seconds after the sender's now
    w = world()
    later = request(w.member("m1"), not_before=NOW + timedelta(seconds=90))
    # When it is received
    answer = w.send(later)
    # Then it is returned for exactly 90 seconds, with a `deferred` entry and no claim
    assert w.failed(answer) == [f"m-{later.delivery_id}"]
    assert w.redelivery.returned == [(QUEUE, f"r-{later.delivery_id}", 90)]
    assert [kind for kind, _ in w.deliveries.timeline] == ["delivery.deferred"]
    assert w.line.calls == [] and w.idempotency.records == {}


def test_a_throttled_send_releases_its_claim_and_its_retry_sends_once() -> None:
    # Given LINE answers the first push with a 429
    w = world()
    send = request(w.member("m1", name="Amy"))
    w.line.failures.append(Throttled("LINE 429", delay=1.0))
    # When the message is received, and received again after its backoff
    first = w.send(send)
    assert w.failed(first) == [f"m-{send.delivery_id}"]
    assert w.redelivery.returned == [(QUEUE, f"r-{send.delivery_id}", 1)]
    assert w.idempotency.records == {}  # the claim was released: the retry may send
    again = w.send(send, receives=2)
    # Then the retry sent it, once
    assert w.failed(again) == []
    assert w.line.recipients() == Counter({"U-m1": 1})
    assert w.counters() == {"sent": 1, "sent_line": 1}


class DiesOnceBeforeTheRecord(MemoryIdempotency):
    """The first completion never happens: the function died after the send."""

    def __init__(self) -> None:
        super().__init__()
        self.died = False

    def _update_record(self, data_record: Any) -> None:
        if not self.died:
            self.died = True
            raise RuntimeError("killed")
        super()._update_record(data_record)


class DyingContext(LambdaContext):
    """An invocation about to time out: its in-progress claim expires at once."""

    def get_remaining_time_in_millis(self) -> int:
        return 1


def test_a_crash_after_the_push_is_caught_by_lines_retry_key() -> None:
    # Given a push that reached LINE, after which the function died before completing
    w = world(persistence=DiesOnceBeforeTheRecord())
    send = request(w.member("m1"))
    assert w.failed(w.send(send, context=DyingContext("kairos-sender"))) == [f"m-{send.delivery_id}"]  # fmt: skip
    assert len(w.line.calls) == 1
    # When the message comes back after the claim expired
    time.sleep(0.01)
    answer = w.send(send, receives=2)
    # Then LINE recognised the retry key: nothing sent again, and it is recorded sent once
    assert w.failed(answer) == [] and len(w.line.calls) == 1
    record = w.deliveries.records[send.delivery_id]
    assert (record.status, record.provider_message_id) == ("sent", "req-1")
    assert record.reason == "accepted earlier (retry key)"
    assert w.counters() == {"sent": 1, "sent_line": 1}


def test_the_stored_outcome_is_the_outcome_model() -> None:
    # The idempotency record holds the Outcome as JSON: what a redelivery is given back
    w = world()
    send = request(w.member("m1", name="Amy"))
    w.send(send)
    [record] = w.idempotency.records.values()
    stored = json.loads(record.response_data)
    assert stored["delivery_id"] == send.delivery_id and stored["status"] == "sent"
