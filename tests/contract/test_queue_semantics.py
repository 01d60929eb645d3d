"""Channel queues: delays, visibility timeouts and the dead-letter redrive behave the same
on both backends (the simulator's time jumps rely on them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kairos.models.send_request import SendRequest
from kairos.store.queues import SendQueues
from kairos_dev.local.emulator import install_clock
from kairos_dev.local.stack import MAX_RECEIVE_COUNT
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
