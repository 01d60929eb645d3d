"""Group messages (`SendGroup`, v2) through the real sender handler on in-memory
adapters: each member delivered exactly once as if it had come alone, members left to
retry re-queued as a smaller group, poison groups failed with the problem named."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from kairos.delivery import service
from kairos.delivery.model import Throttled
from kairos.models.send_group import SendGroup
from kairos.models.send_request import SendRequest
from kairos_dev.local.functions import LambdaContext, load_function
from tests.unit.delivery.test_service import (
    NOW,
    QUEUE,
    DiesOnceBeforeTheRecord,
    DyingContext,
    World,
    request,
    world,
)


def group_of(
    w: World, n: int, template: str = "hello", prefix: str = "m", **fields: Any
) -> SendGroup:
    first = request(f"{prefix}0", template=template, **fields)
    requests = [
        first.model_copy(
            update={"delivery_id": f"{first.delivery_id}-{i}", "member_id": w.member(f"{prefix}{i}", name=f"N{i}"),
                    "enrolment_id": f"e-{prefix}{i}"}
        )
        for i in range(n)
    ]  # fmt: skip
    return SendGroup.of(requests)


def record(body: str, message_id: str, receives: int = 1) -> dict[str, Any]:
    sent = str(int(NOW.timestamp() * 1000))
    return {
        "messageId": message_id,
        "receiptHandle": f"r-{message_id}",
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


def deliver(
    w: World, *bodies: str, receives: int = 1, context: LambdaContext | None = None
) -> list[str]:
    """One SQS batch of these bodies; the ids of the records reported failed."""
    event = {"Records": [record(b, f"g{i}", receives) for i, b in enumerate(bodies)]}
    answer = load_function("sender").handle(
        event, context or LambdaContext(function_name="kairos-sender"), w.services
    )
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


def test_a_group_delivers_each_member_once_as_if_each_had_come_alone() -> None:
    # Given a group of five personal greetings and a single request in the same batch
    w = world()
    group = group_of(w, 5)
    alone = request(w.member("solo", name="Solo"))
    # When the batch is handed over, and then handed over again
    first = deliver(w, group.model_dump_json(), alone.model_dump_json())
    again = deliver(w, group.model_dump_json(), alone.model_dump_json(), receives=2)
    # Then every member got one push with their own name, under their own delivery id
    assert first == [] and again == []
    assert w.line.recipients() == Counter({**{f"U-m{i}": 1 for i in range(5)}, "U-solo": 1})
    assert sorted(c.text or "" for c in w.line.calls)[0].startswith("N0")
    assert {d for d, o in w.deliveries.records.items() if o.status == "sent"} == {
        *(r.delivery_id for r in group.recipients),
        alone.delivery_id,
    }
    assert w.counters() == {"sent": 6, "sent_line": 6}
    assert w.redelivery.returned == [] and w.redelivery.queued == []


def test_identical_content_in_a_group_goes_out_as_one_multicast() -> None:
    w = world()
    group = group_of(w, 4, template="news")
    assert deliver(w, group.model_dump_json()) == []
    assert [(c.endpoint, len(c.to)) for c in w.line.calls] == [("multicast", 4)]


def test_members_left_to_retry_come_back_as_a_smaller_group_and_the_record_is_done() -> None:
    # Given LINE throttles two of a group's four pushes
    w = world()
    group = group_of(w, 4)
    w.line.failures.extend([Throttled("LINE 429", delay=1.0), Throttled("LINE 429", delay=1.0)])
    # When the group is delivered
    failed = deliver(w, group.model_dump_json(), receives=3)
    # Then the record is acknowledged, and a new group with just the two throttled
    # members is on the queue, its backoff carried on
    assert failed == [] and w.redelivery.returned == []
    [(queue, body, delay)] = w.redelivery.queued
    remainder = SendGroup.model_validate_json(body)
    sent = {c.to[0] for c in w.line.calls}
    assert queue == QUEUE and len(sent) == 2 and remainder.attempt == 3
    assert {f"U-{r.member_id}" for r in remainder.recipients} == {
        f"U-m{i}" for i in range(4)
    } - sent
    assert 2 <= delay <= 4  # 1 s base × 2^(3-1), half of it jitter
    # When the remainder is delivered
    assert deliver(w, body) == []
    # Then each member has had exactly one message
    assert w.line.recipients() == Counter({f"U-m{i}": 1 for i in range(4)})
    assert w.counters() == {"sent": 4, "sent_line": 4}


def test_a_group_nobody_could_be_sent_to_returns_to_the_queue_itself() -> None:
    # Given a group not due for 90 seconds (its record's receives then count toward the DLQ)
    w = world()
    group = group_of(w, 3, not_before=NOW + timedelta(seconds=90))
    failed = deliver(w, group.model_dump_json())
    assert failed == ["g0"]
    assert w.redelivery.returned == [(QUEUE, "r-g0", 90)] and w.redelivery.queued == []
    assert w.line.calls == []


def test_a_member_that_raised_fails_the_record_and_its_redelivery_sends_only_what_is_left() -> None:
    # Given an unexpected error on one of a group's four pushes
    w = world()
    group = group_of(w, 4)
    w.line.failures.append(RuntimeError("connection reset in a way nobody expected"))
    # When it is delivered: the record fails whole, with no re-queued remainder
    assert deliver(w, group.model_dump_json()) == ["g0"]
    assert len(w.line.calls) == 3 and w.redelivery.queued == []
    # And when SQS hands it over again after its visibility timeout
    assert deliver(w, group.model_dump_json(), receives=2) == []
    # Then the members done were skipped by their claims: one message each
    assert w.line.recipients() == Counter({f"U-m{i}": 1 for i in range(4)})
    assert w.counters() == {"sent": 4, "sent_line": 4}


def test_a_crash_mid_group_and_its_redelivery_give_every_member_exactly_one_message() -> None:
    # Given the function dies after LINE accepted a push, before its record was saved
    w = world(persistence=DiesOnceBeforeTheRecord())
    group = group_of(w, 6)
    assert deliver(w, group.model_dump_json(), context=DyingContext("kairos-sender")) == ["g0"]
    assert 0 < len(w.line.calls) <= 6
    # When the group comes back once the in-progress claims expired
    time.sleep(0.01)
    assert deliver(w, group.model_dump_json(), receives=2) == []
    # Then LINE saw each member once (the retry key caught the push sent before the crash)
    assert w.line.recipients() == Counter({f"U-m{i}": 1 for i in range(6)})
    assert {o.status for o in w.deliveries.records.values()} == {"sent"}
    assert len(w.deliveries.records) == 6


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda g: {**g, "recipients": []}, "recipients"),
        (lambda g: {**g, "recipients": [g["recipients"][0]] * 2}, "delivery id appears twice"),
        (lambda g: {**g, "v": 3}, "v"),
        (lambda g: {k: v for k, v in g.items() if k != "template"}, "template"),
    ],
)
def test_a_poison_group_fails_its_record_naming_the_problem(
    mutate: Any, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    w = world()
    body = json.dumps(mutate(json.loads(group_of(w, 2).model_dump_json())))
    # A poison record fails without a visibility change: SQS's redrive moves it to the DLQ
    assert deliver(w, body, request(w.member("ok")).model_dump_json()) == ["g0"]
    assert w.redelivery.returned == [] and w.line.recipients() == Counter({"U-ok": 1})
    [poison] = [r for r in caplog.records if r.getMessage().startswith("not a send request")]
    assert named in poison.__dict__["problem"] and poison.__dict__["message_id"] == "g0"


def test_a_v1_request_still_in_flight_is_read_as_before() -> None:
    # A message written by the previous release (no group fields at all)
    w = world()
    legacy: SendRequest = request(w.member("m1", name="Amy"))
    body = json.loads(legacy.model_dump_json())
    assert body["v"] == 1
    assert deliver(w, json.dumps(body)) == []
    assert w.line.recipients() == Counter({"U-m1": 1})


def test_groups_over_the_batchs_room_are_passed_on_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given room for ten deliveries per invocation and three groups of four
    monkeypatch.setattr(service, "MAX_DELIVERIES", 10)
    w = world()
    groups = [group_of(w, 4, template="news", prefix=f"g{n}-") for n in range(3)]
    # When they come in one batch
    assert deliver(w, *(g.model_dump_json() for g in groups)) == []
    # Then two were delivered and the third went back on the queue as it was, at once
    assert sum(len(c.to) for c in w.line.calls) == 8
    [(queue, body, delay)] = w.redelivery.queued
    assert (queue, delay) == (QUEUE, 0) and SendGroup.model_validate_json(body) == groups[2]
