"""Group messages (one step to many members in one SQS message) through real SQS queues,
DynamoDB and the fake LINE over HTTP: every member once, whatever the queue does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kairos.config import RuntimeConfig
from kairos.models.send_group import SendGroup
from kairos.models.send_request import SendRequest
from kairos.store.claims import BatchedDynamoDBPersistenceLayer
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.functions import LambdaContext
from tests.integration.test_sender_harness import Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator, max_receive=2, visibility=1)


def group(rig: Rig, n: int, template: str = "hello", prefix: str = "m") -> SendGroup:
    """A group of `n` members (who exist, with LINE ids) for one step."""
    first = request(f"{prefix}0", template=template)
    members: list[SendRequest] = []
    for i in range(n):
        member_id = rig.member(f"{prefix}{i}", line_user_id=f"U-{prefix}{i}", name=f"N{i}")
        members.append(
            first.model_copy(
                update={"delivery_id": f"{first.delivery_id}-{i}", "member_id": member_id,
                        "enrolment_id": f"e-{member_id}"}
            )
        )  # fmt: skip
    return SendGroup.of(members)


def receive_event(rig: Rig) -> dict[str, Any]:
    sqs = rig.client("sqs")
    messages = sqs.receive_message(QueueUrl=rig.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]  # fmt: skip
    return {"Records": [rig.pump()._lambda_record(m) for m in messages]}


def dead_letters(rig: Rig) -> list[str]:
    sqs, bodies = rig.client("sqs"), []
    while got := sqs.receive_message(QueueUrl=rig.dlq_url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in got]
    return bodies


def test_groups_reach_every_member_once_personal_by_push_identical_by_multicast(rig: Rig) -> None:
    # Given a group of personal greetings and a group of identical news, on one queue
    greetings, news = group(rig, 12), group(rig, 30, template="news", prefix="n")
    rig.enqueue(raw=[greetings.model_dump_json(), news.model_dump_json()])
    # When the sender drains it
    rig.drain(timeout=30)
    # Then every member got one message: twelve pushes, one multicast of thirty
    expected = {f"U-m{i}": 1 for i in range(12)} | {f"U-n{i}": 1 for i in range(30)}
    assert rig.line.recipients() == expected
    endpoints = [r.endpoint for r in rig.line.requests]
    assert endpoints.count("multicast") == 1 and endpoints.count("push") == 12
    assert rig.deliveries().counters("welcome", "greet") == {"sent": 42, "sent_line": 42}
    assert dead_letters(rig) == []


class DiesBeforeTheBatchRecord(BatchedDynamoDBPersistenceLayer):
    """The function dies after its pushes, before any result is saved."""

    def save_success_many(self, completed: Any) -> None:
        raise RuntimeError("killed")


class DyingContext(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 1


def test_a_crash_mid_group_and_its_redelivery_send_every_member_exactly_once(rig: Rig) -> None:
    # Given a group of eight, of which LINE refuses three pushes with a 500 and accepts
    # five, after which the function dies before saving anything
    members = group(rig, 8)
    rig.enqueue(raw=[members.model_dump_json()])
    event = receive_event(rig)
    table = RuntimeConfig.from_env().idempotency_table
    rig.line.inject_error(500, times=3)
    rig.use(persistence=DiesBeforeTheBatchRecord(table_name=table))
    answer = rig.invoke(event, DyingContext(function_name="kairos-sender"))
    assert len(answer["batchItemFailures"]) == 1
    assert len(rig.line.messages) == 5
    # When the message is handed over again, to a sender that lives
    rig.use()
    assert rig.invoke(event) == {"batchItemFailures": []}
    # Then the five sent before the crash were caught by their retry keys, the three
    # others were sent now: every member exactly one message, all recorded sent
    assert rig.line.recipients() == {f"U-m{i}": 1 for i in range(8)}
    assert rig.line.refused[409] == 5
    statuses = [rig.deliveries().delivery(r.delivery_id) for r in members.recipients]
    assert [s["status"] if s else None for s in statuses] == ["sent"] * 8


def test_throttled_members_come_back_as_a_smaller_group_and_nothing_is_lost(rig: Rig) -> None:
    # Given LINE answers 429 to two of a group's six pushes
    members = group(rig, 6)
    rig.line.inject_error(429, times=2)
    rig.enqueue(raw=[members.model_dump_json()])
    # When the queue is drained (the two come back on their own group message)
    rig.drain(timeout=30)
    # Then every member got exactly one message and nothing is in the DLQ
    assert rig.line.recipients() == {f"U-m{i}": 1 for i in range(6)}
    assert dead_letters(rig) == []
    assert rig.deliveries().counters("welcome", "greet") == {"sent": 6, "sent_line": 6}


def test_a_poison_group_ends_in_the_dlq_and_the_rest_is_sent(rig: Rig) -> None:
    # Given a group whose recipients repeat a delivery id, next to a good request
    body = json.loads(group(rig, 2).model_dump_json())
    body["recipients"] = [body["recipients"][0]] * 2
    rig.member("ok", line_user_id="U-ok")
    poison = json.dumps(body)
    rig.enqueue(request("ok"), raw=[poison])
    # When the sender keeps consuming (maxReceiveCount 2)
    rig.drain(timeout=20)
    # Then the good one went out and the group waits in the DLQ, untouched
    assert rig.line.recipients() == {"U-ok": 1}
    assert dead_letters(rig) == [poison]
