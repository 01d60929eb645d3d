"""The sender, wired with `build(config, aws, clock=…)` on either backend's clients, sends
each member once and waits for a send's time on the same clock (what `kairos simulate`
relies on for its deliveries on the memory backend)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from kairos.config import RuntimeConfig
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.store.deliveries import DeliveryStore
from kairos.store.members import MemberRepository
from kairos.wiring.sender import SenderServices, build
from kairos_dev.local.emulator import install_clock
from kairos_dev.local.fake_line import FakeLine, start_fake_line
from kairos_dev.local.functions import LambdaContext, load_function
from kairos_dev.local.pumps import QueuePump
from kairos_dev.local.sim_line import simulated_line
from tests.contract.conftest import START, Side

NEWS = Template.model_validate({"id": "news", "line": {"text": "本週新品上架！"}})


@pytest.fixture
def line(side: Side) -> Iterator[FakeLine]:
    fake = start_fake_line(token=side.stack.secrets.line_channel_token)
    if side.name == "emulator":
        install_clock(side.clock)  # the queue's visibility on the same clock as the sender
    try:
        yield fake
    finally:
        if side.name == "emulator":
            install_clock(None)
        fake.stop()


def services(side: Side, line: FakeLine) -> SenderServices:
    environ = {**side.stack.environ(), "KAIROS_LINE_API_ENDPOINT": line.url}
    return build(RuntimeConfig.from_env(environ), side, clock=side.clock, templates={"news": NEWS})


def member(side: Side, member_id: str) -> str:
    item = {"pk": keys.member_pk(member_id), "sk": keys.PROFILE_SK, "member_id": member_id,
            "profile": {"line_user_id": f"U-{member_id}"}, "version": 1}  # fmt: skip
    side.client("dynamodb").put_item(TableName=side.table, Item=to_item(item))
    return member_id


def request(member_id: str, **fields: Any) -> SendRequest:
    values: dict[str, Any] = {
        "delivery_id": f"d-{uuid.uuid4().hex[:12]}", "member_id": member_id, "journey": "news",
        "journey_version": "1", "step": "send", "enrolment_id": f"e-{member_id}",
        "template": "news", "template_version": "1", "channel": "line", "requested_at": START,
    }  # fmt: skip
    return SendRequest.model_validate({**values, **fields})


def test_each_member_is_sent_once_and_a_later_send_waits_for_its_time(side: Side, line: FakeLine) -> None:  # fmt: skip
    # Given three members sent the same news (one request delivered twice by SQS), and a
    # fourth whose send is not due for a minute
    wired = services(side, line)
    news = [request(member(side, f"m{i}")) for i in range(3)]
    later = request(member(side, "m3"), not_before=START + timedelta(minutes=1))
    sqs, url = side.client("sqs"), side.stack.queues["line"]
    for send in [*news, news[0], later]:
        sqs.send_message(QueueUrl=url, MessageBody=send.model_dump_json())
    handler = load_function("sender")
    context = LambdaContext(function_name="kairos-sender")
    pump = QueuePump(sqs, url, lambda event: handler.handle(event, context, wired), batch_size=10)
    # When the sender takes the batch
    assert pump.pump_once() == 5
    # Then one multicast reached the three, each recorded and counted once
    assert [(r.endpoint, r.recipients) for r in line.requests] == [("multicast", 3)]
    deliveries = DeliveryStore(side.table, side.client("dynamodb"))
    assert [(deliveries.delivery(s.delivery_id) or {}).get("status") for s in news] == ["sent"] * 3  # fmt: skip
    assert deliveries.counters("news", "send") == {"sent": 3, "sent_line": 3}
    # And the later send waits on the queue, with a `deferred` entry on its member's timeline
    members = MemberRepository(side.table, side.client("dynamodb"))
    assert [e["kind"] for e in members.timeline("m3")] == ["delivery.deferred"]
    assert pump.pump_once() == 0
    # When the clock passes its time, it comes back and goes out
    side.clock.set(START + timedelta(minutes=1, seconds=1))
    assert pump.pump_once() == 1
    assert line.recipients() == {f"U-m{i}": 1 for i in range(4)}
    assert (deliveries.delivery(later.delivery_id) or {}).get("status") == "sent"


def test_a_simulations_sender_paces_its_sends_in_simulated_seconds(side: Side) -> None:
    # Given the sender wired as `kairos simulate` wires it on this backend (the fake LINE
    # in process on memory, over HTTP on the emulator), LINE's rate at 2 per second, and
    # five members each sent their own push
    line = simulated_line(side.stack, side, side.clock, in_process=side.name == "memory")
    if side.name == "emulator":
        install_clock(side.clock)
    try:
        settings = Settings.model_validate({"channels": {"line": {"rate_per_second": 2}}})
        wired = build(RuntimeConfig.from_env(side.stack.environ()), side, clock=side.clock,
                      settings=settings, templates={"news": NEWS}, multicast_min=100,
                      **line.sender)  # fmt: skip
        sends = [request(member(side, f"m{i}")) for i in range(5)]
        sqs, url = side.client("sqs"), side.stack.queues["line"]
        for send in sends:
            sqs.send_message(QueueUrl=url, MessageBody=send.model_dump_json())
        handler = load_function("sender")
        context = LambdaContext(function_name="kairos-sender")
        pump = QueuePump(sqs, url, lambda event: handler.handle(event, context, wired))
        # When the sender takes the batch
        assert pump.pump_once() == 5
    finally:
        if side.name == "emulator":
            install_clock(None)
        line.stop()
    # Then all five went out, two per second, in the simulation's seconds from its "now":
    # the limiter waited for the next window without the virtual clock moving
    assert line.fake.recipients() == {f"U-m{i}": 1 for i in range(5)}
    first = int(START.timestamp())
    assert line.fake.per_second("push") == {first: 2, first + 1: 2, first + 2: 1}
    assert side.clock() == START
