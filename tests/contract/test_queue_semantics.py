"""Channel queues: delays, visibility timeouts and the dead-letter redrive behave the same
on both backends (the simulator's time jumps rely on them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from kairos.models.send_group import MAX_MESSAGE_BYTES, Outgoing, QueuedSend, SendGroup
from kairos.models.send_request import SendRequest
from kairos.store.queues import SendQueues
from kairos_dev.local.emulator import install_clock
from kairos_dev.local.stack import MAX_RECEIVE_COUNT, QUEUE_MESSAGE_BYTES
from tests.contract.conftest import START, Side


@pytest.fixture
def timed(side: Side) -> Iterator[Side]:
    if side.name == "emulator":
        install_clock(side.clock)
    try:
        yield side
    finally:
        if side.name == "emulator":
            install_clock(None)


_QUEUED: TypeAdapter[SendRequest | SendGroup] = TypeAdapter(QueuedSend)


def request(delivery_id: str, delay_seconds: int = 0) -> SendRequest:
    return SendRequest.model_validate(
        {
            "delivery_id": delivery_id,
            "member_id": "m-1",
            "journey": "welcome",
            "journey_version": "v1",
            "step": "hello",
            "enrolment_id": "e-1",
            "template": "hello",
            "template_version": "t1",
            "channel": "line",
            "requested_at": START.isoformat(),
            "not_before": (START + timedelta(seconds=delay_seconds)).isoformat()
            if delay_seconds
            else None,
        }
    )


def receive(side: Side) -> list[dict[str, object]]:
    url = side.stack.queues["line"]
    got = side.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    return list(got.get("Messages", []))


def test_a_delayed_send_appears_only_when_due(timed: Side) -> None:
    # Given a send not before 90 seconds from now
    queues = SendQueues(timed.stack.queues, timed.client("sqs"))
    queues.send(request("d-1", delay_seconds=90), "line", START)
    # Then it is not there at first, and is there once the time has come
    assert receive(timed) == []
    timed.clock.set(START + timedelta(seconds=91))
    [message] = receive(timed)
    assert message["MessageAttributes"]["delivery_id"]["StringValue"] == "d-1"  # type: ignore[index]


def test_a_received_message_comes_back_after_its_visibility_timeout(timed: Side) -> None:
    SendQueues(timed.stack.queues, timed.client("sqs")).send(request("d-2"), "line", START)
    [first] = receive(timed)
    assert receive(timed) == []
    timed.clock.set(START + timedelta(seconds=61))
    [again] = receive(timed)
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"  # type: ignore[index]


def test_a_message_received_too_often_goes_to_the_dead_letter_queue(timed: Side) -> None:
    SendQueues(timed.stack.queues, timed.client("sqs")).send(request("d-3"), "line", START)
    moment = START
    for _ in range(MAX_RECEIVE_COUNT):
        assert len(receive(timed)) == 1
        moment += timedelta(seconds=61)
        timed.clock.set(moment)
    assert receive(timed) == []
    dead = timed.client("sqs").receive_message(
        QueueUrl=timed.stack.dead_letter_queues["line"], MaxNumberOfMessages=10
    )
    assert len(dead.get("Messages", [])) == 1


def refused(call: Any) -> str:
    """The error code SQS answers a call with ('' if it succeeds)."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return ""


def test_a_batch_send_puts_each_entry_with_its_own_delay(timed: Side) -> None:
    sqs, url = timed.client("sqs"), timed.stack.queues["line"]
    entries = [
        {"Id": str(i), "MessageBody": f"body-{i}", "DelaySeconds": 30 if i % 2 else 0}
        for i in range(10)
    ]
    answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in answer["Successful"]) == sorted(str(i) for i in range(10))
    assert not answer.get("Failed")
    got: list[dict[str, Any]] = []
    while batch := receive(timed):
        got += batch
    assert sorted(str(m["Body"]) for m in got) == [f"body-{i}" for i in range(0, 10, 2)]
    timed.clock.set(START + timedelta(seconds=31))
    assert len(receive(timed)) == 5


def test_the_queue_refuses_what_sqs_refuses(side: Side) -> None:
    sqs, url = side.client("sqs"), side.stack.queues["line"]
    limit = QUEUE_MESSAGE_BYTES
    # A body over the queue's maximum message size (the local stack's 256 KiB)
    assert "InvalidParameterValue" in refused(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * (limit + 1))
    )
    assert refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * (limit - 1024))) == ""
    # More than ten entries, repeated ids, and an over-long entry in a batch
    eleven = [{"Id": str(i), "MessageBody": "b"} for i in range(11)]
    assert refused(lambda: sqs.send_message_batch(QueueUrl=url, Entries=eleven)).endswith(
        "TooManyEntriesInBatchRequest"
    )
    twice = [{"Id": "a", "MessageBody": "b"}, {"Id": "a", "MessageBody": "c"}]
    assert refused(lambda: sqs.send_message_batch(QueueUrl=url, Entries=twice)).endswith(
        "BatchEntryIdsNotDistinct"
    )
    long = [{"Id": "a", "MessageBody": "x" * (limit + 1)}]
    assert refused(lambda: sqs.send_message_batch(QueueUrl=url, Entries=long)) != ""


def test_a_step_sent_to_many_members_travels_as_group_messages(side: Side) -> None:
    # Given 1,200 members reaching the same step, and three others each on their own step
    sqs = side.client("sqs")
    queues = SendQueues(side.stack.queues, sqs)
    crowd = [request(f"d-{i}").model_copy(update={"member_id": f"m-{i}"}) for i in range(1200)]
    loners = [request(f"x-{i}").model_copy(update={"step": f"s-{i}"}) for i in range(3)]
    outgoing = [Outgoing(r, "line", START) for r in [*crowd, *loners]]
    # When they are put on the queue together
    assert queues.send_many(outgoing) == set()
    # Then three group messages and one batch of three single requests carried them all
    assert queues.sent == 6
    bodies: list[SendRequest | SendGroup] = []
    while batch := receive(side):
        bodies += [_QUEUED.validate_json(str(m["Body"])) for m in batch]
    groups = [b for b in bodies if isinstance(b, SendGroup)]
    assert sorted(len(g.recipients) for g in groups) == [200, 500, 500]
    assert all(len(g.model_dump_json()) <= MAX_MESSAGE_BYTES for g in groups)
    delivered = [r.delivery_id for g in groups for r in g.requests()]
    delivered += [b.delivery_id for b in bodies if isinstance(b, SendRequest)]
    assert sorted(delivered) == sorted(r.delivery_id for r in [*crowd, *loners])


def test_members_with_large_triggers_are_split_under_the_size_limit(side: Side) -> None:
    queues = SendQueues(side.stack.queues, side.client("sqs"))
    heavy = [
        request(f"h-{i}").model_copy(
            update={"member_id": f"m-{i}", "trigger": {"id": f"ev-{i}", "note": "x" * 2000}}
        )
        for i in range(300)
    ]
    assert queues.send_many([Outgoing(r, "line", START) for r in heavy]) == set()
    bodies: list[SendRequest | SendGroup] = []
    while batch := receive(side):
        bodies += [_QUEUED.validate_json(str(m["Body"])) for m in batch]
    assert 1 < len(bodies) < 10
    assert sum(len(b.recipients) for b in bodies if isinstance(b, SendGroup)) == 300
    by_id = {r.delivery_id: r for b in bodies if isinstance(b, SendGroup) for r in b.requests()}
    assert by_id["h-7"].trigger == heavy[7].trigger
