"""Opens and clicks marked on a delivery record: the first of each kind says so, which is
what the evaluator counts for the journey step (a repeated open is not a new one)."""

from __future__ import annotations

from datetime import datetime

from kairos.delivery.model import Outcome
from kairos.store.deliveries import DeliveryStore
from kairos.store.enrolments import EngineStore
from kairos_dev.local.stack import LocalStack

NOW = datetime.fromisoformat("2026-03-02T10:00:00+00:00")


def test_only_the_first_open_and_click_of_a_known_delivery_are_first(stack: LocalStack) -> None:
    client = stack.client("dynamodb")
    sent = Outcome(
        delivery_id="d-1", member_id="m-1", journey="welcome", step="hello",
        template="hello", enrolment_id="en-1", status="sent", time=NOW, channel="email",
    )  # fmt: skip
    DeliveryStore(stack.tables["main"], client).record([sent])
    store = EngineStore(stack.tables["main"], client)
    at = NOW.isoformat()
    assert store.mark_engagement("d-1", "opened", at) is True
    assert store.mark_engagement("d-1", "opened", "2026-03-02T11:00:00+00:00") is False
    assert store.mark_engagement("d-1", "clicked", at) is True
    assert store.mark_engagement("d-unknown", "opened", at) is False
    # the first open's time stays
    record = DeliveryStore(stack.tables["main"], client).delivery("d-1")
    assert record is not None and record["opened_at"] == at


def test_a_counted_first_open_adds_to_its_step_once(stack: LocalStack) -> None:
    client = stack.client("dynamodb")
    sent = Outcome(
        delivery_id="d-2", member_id="m-2", journey="welcome", step="hello",
        template="hello", enrolment_id="en-2", status="sent", time=NOW, channel="line",
    )  # fmt: skip
    DeliveryStore(stack.tables["main"], client).record([sent])
    store = EngineStore(stack.tables["main"], client)
    at, step = NOW.isoformat(), ("welcome", "hello")
    # The first open marks the record and counts in the same transaction; a repeat,
    # or an open of a delivery Kairos does not know, does neither
    assert store.mark_engagement("d-2", "opened", at, step) is True
    assert store.mark_engagement("d-2", "opened", at, step) is False
    assert store.mark_engagement("d-none", "opened", at, step) is False
    assert store.counters("welcome")["hello"]["opened"] == 1
    record = DeliveryStore(stack.tables["main"], client).delivery("d-2")
    assert record is not None and record["opened_at"] == at
