"""Exactly-once effect: however often SQS hands a send request over, one message
reaches the provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from kairos.config import RuntimeConfig
from kairos.store.claims import BatchedDynamoDBPersistenceLayer
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.functions import LambdaContext
from tests.integration.test_sender_harness import Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


def receive_event(rig: Rig) -> dict[str, Any]:
    """One SQS receive as Lambda's event (the messages stay on the queue)."""
    sqs = rig.client("sqs")
    messages = sqs.receive_message(QueueUrl=rig.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]  # fmt: skip
    return {"Records": [rig.pump()._lambda_record(m) for m in messages]}


def test_a_redelivered_message_sends_once(rig: Rig) -> None:
    # Given a member and one send request delivered twice by SQS (at-least-once)
    rig.member("m1", line_user_id="U1", name="Amy")
    send = request("m1")
    rig.enqueue(send, send)
    # When the sender processes both copies
    rig.drain()
    # Then LINE received one message, and one result was recorded and counted
    assert [m.to for m in rig.line.messages] == ["U1"]
    assert rig.delivery(send)["status"] == "sent"
    assert rig.deliveries().counters("welcome", "greet") == {"sent": 1, "sent_line": 1}
    assert [e["kind"] for e in rig.timeline("m1")] == ["delivery.sent"]


def test_a_crash_after_send_before_the_message_is_deleted_sends_once(rig: Rig) -> None:
    # Given a batch the sender processed but whose messages were never deleted
    rig.member("m1", line_user_id="U1")
    rig.member("m2", email="b@example.com")
    line, email = request("m1"), request("m2", channel="email")
    rig.enqueue(line, email)
    event = receive_event(rig)
    rig.invoke(event)
    # When Lambda hands the same batch over again
    response = rig.invoke(event)
    # Then nothing is sent twice and the replay succeeds
    assert response == {"batchItemFailures": []}
    assert len(rig.line.messages) == 1
    assert len(rig.outbox.emails()) == 1
    assert rig.deliveries().counters("welcome", "greet")["sent"] == 2


class DyingContext(LambdaContext):
    """A Lambda about to time out: an in-progress claim expires at once."""

    def get_remaining_time_in_millis(self) -> int:
        return 1


class DiesBeforeTheRecord(DynamoDBPersistenceLayer):
    """The function dies after the send, before the idempotency record says COMPLETED
    (`_update_record` is the persistence layer's extension point for custom stores)."""

    def _update_record(self, data_record: DataRecord) -> None:
        raise RuntimeError("killed")


def test_a_crash_between_the_send_and_the_idempotency_record_is_caught_by_the_retry_key(rig: Rig) -> None:  # fmt: skip
    # Given a send that reached LINE, after which the function died before saving its result
    rig.member("m1", line_user_id="U1")
    send = request("m1")
    rig.enqueue(send)
    event = receive_event(rig)
    table = RuntimeConfig.from_env().idempotency_table
    rig.use(persistence=DiesBeforeTheRecord(table_name=table))
    rig.invoke(event, DyingContext(function_name="kairos-sender"))
    assert len(rig.line.messages) == 1
    # When the message comes back and is processed again (by a sender that lives)
    rig.use()
    rig.invoke(event)
    # Then LINE recognised the retry key (409) and sent nothing; we record it sent
    assert len(rig.line.messages) == 1
    assert rig.line.refused[409] == 1
    record = rig.delivery(send)
    assert record["status"] == "sent"
    assert record["provider_message_id"] == rig.line.requests[0].request_id


class DiesBeforeTheBatchRecord(BatchedDynamoDBPersistenceLayer):
    """The same crash with the batched records the sender uses in production."""

    def save_success_many(self, completed: Any) -> None:
        raise RuntimeError("killed")


def test_a_crash_before_a_batch_of_records_is_saved_is_caught_by_the_retry_keys(rig: Rig) -> None:  # fmt: skip
    # Given a batch of pushes that reached LINE, after which the function died before
    # saving any of their results
    for n in (1, 2, 3):
        rig.member(f"m{n}", line_user_id=f"U{n}", name=f"N{n}")
    sends = [request(f"m{n}") for n in (1, 2, 3)]
    rig.enqueue(*sends)
    event = receive_event(rig)
    table = RuntimeConfig.from_env().idempotency_table
    rig.use(persistence=DiesBeforeTheBatchRecord(table_name=table))
    rig.invoke(event, DyingContext(function_name="kairos-sender"))
    assert len(rig.line.messages) == 3
    # When the messages come back to a sender that lives
    rig.use()
    response = rig.invoke(event)
    # Then LINE recognised every retry key and sent nothing twice; all are recorded sent
    assert response == {"batchItemFailures": []}
    assert len(rig.line.messages) == 3
    assert rig.line.refused[409] == 3
    assert [rig.delivery(s)["status"] for s in sends] == ["sent"] * 3


def test_a_batch_claimed_elsewhere_sends_nothing_and_comes_back(rig: Rig) -> None:
    # Given two deliveries another invocation is sending right now (claims in progress)
    rig.member("m1", line_user_id="U1")
    rig.member("m2", line_user_id="U2")
    sends = [request("m1"), request("m2")]
    rig.enqueue(*sends)
    event = receive_event(rig)
    table = RuntimeConfig.from_env().idempotency_table
    rig.use(persistence=DiesBeforeTheBatchRecord(table_name=table))
    rig.invoke(event)  # leaves both claims in progress for the Lambda's remaining time
    sent = len(rig.line.messages)
    # When the batch is handed over again meanwhile
    rig.use()
    response = rig.invoke(event)
    # Then nothing is sent again and both records go back to the queue
    assert len(rig.line.messages) == sent == 2
    assert len(response["batchItemFailures"]) == 2


def test_a_timeout_after_line_accepted_is_retried_and_recorded_once(rig: Rig) -> None:
    # Given LINE accepts a push but answers too late for the sender
    rig.member("m1", line_user_id="U1")
    rig.services.channels.line.timeout = (1.0, 0.3)
    rig.line.inject_slow(delay=1.0)
    send = request("m1")
    rig.enqueue(send)
    # When the queue runs until empty (the message comes back after its backoff)
    rig.drain()
    # Then the delivery is sent, one message reached the member and the retry was 409
    assert rig.delivery(send)["status"] == "sent"
    assert rig.line.recipients() == {"U1": 1}
    assert rig.line.refused[409] == 1


def test_a_5xx_is_retried_and_a_4xx_fails_for_good(rig: Rig) -> None:
    # Given LINE fails once with 500, and one member's id is one LINE refuses
    rig.member("m1", line_user_id="U1")
    rig.member("m2", line_user_id="U2")
    rig.line.inject_error(500, times=1)
    ok = request("m1")
    rig.enqueue(ok)
    rig.drain()
    assert rig.delivery(ok)["status"] == "sent"
    rig.line.inject_error(400, times=1)
    bad = request("m2")
    rig.enqueue(bad)
    rig.drain()
    record = rig.delivery(bad)
    assert record["status"] == "failed"
    assert record["reason"].startswith("LINE 400")
    assert rig.line.recipients() == {"U1": 1}
