"""Queue behaviour: poison messages end in the DLQ; a send due later waits on the queue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from kairos_dev.local.emulator import Emulator
from tests.integration.test_sender_harness import NOW, Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator, max_receive=2, visibility=1)


def test_a_poison_message_ends_in_the_dlq_and_the_rest_of_the_batch_is_sent(rig: Rig) -> None:
    # Given a queue with maxReceiveCount 2, one good request and two unparseable ones
    rig.member("m1", line_user_id="U1")
    good = request("m1")
    rig.enqueue(good, raw=["not json", '{"v": 1, "delivery_id": "d-x"}'])
    # When the sender keeps consuming until the queue is empty
    rig.drain(timeout=20)
    # Then the good one went out once and both bad ones are in the DLQ, untouched
    assert rig.line.recipients() == {"U1": 1}
    sqs = rig.client("sqs")
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=rig.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        bodies += [m["Body"] for m in got]
    assert sorted(bodies) == sorted(["not json", '{"v": 1, "delivery_id": "d-x"}'])


def test_a_send_not_due_yet_goes_back_to_the_queue_until_its_time(rig: Rig) -> None:
    # Given a clock that runs, and a request due three seconds from now
    start = time.monotonic()
    rig.clock = lambda: NOW + timedelta(seconds=time.monotonic() - start)
    rig.member("m1", line_user_id="U1")
    send = request("m1", not_before=NOW + timedelta(seconds=3))
    rig.enqueue(send)
    # When the queue is drained
    rig.drain(timeout=20)
    # Then it was sent only after its time, with a `deferred` entry before the `sent` one
    assert rig.line.messages and time.monotonic() - start >= 3
    kinds = [e["kind"] for e in rig.timeline("m1")]
    assert kinds == ["delivery.deferred", "delivery.sent"]
    assert rig.queue_depth(rig.dlq_url) == 0
