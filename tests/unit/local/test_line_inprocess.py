"""The simulator's in-process LINE transport answers like the fake LINE API over HTTP:
the same records, and each answer the fake can give is the sender's same decision."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.model import MonthlyLimit, Rejected, Throttled, Transient
from kairos.delivery.templates import LineContent
from kairos_dev.local.fake_line import Endpoint, FakeLine
from kairos_dev.local.line_inprocess import InProcessLine

TOKEN = "channel-token"
HELLO = LineContent(messages=[{"type": "text", "text": "hello"}], text="hello")


def fake(latency: float = 0.0) -> FakeLine:
    rates: dict[Endpoint, float | None] = {"push": None, "multicast": None}
    return FakeLine(token=TOKEN, rates=rates, latency=latency, clock=lambda: 1000.5)


def test_a_push_is_recorded_and_answers_its_message_id() -> None:
    line = fake()
    result = InProcessLine(line, token=lambda: TOKEN).push("U1", HELLO, retry_key(["d-1"]))
    [message] = line.messages
    assert (message.to, message.message, message.endpoint) == ("U1", HELLO.messages[0], "push")
    assert message.time == 1000.5  # the fake's clock: a simulation's seconds
    assert result.provider_message_id == message.message_id
    assert not result.accepted_earlier


def test_the_fake_keeps_what_it_received_not_the_senders_objects() -> None:
    line = fake()
    InProcessLine(line, token=lambda: TOKEN).push("U1", HELLO, retry_key(["d-1"]))
    assert line.messages[0].message is not HELLO.messages[0]


def test_a_multicast_reaches_every_recipient_and_answers_the_request_id() -> None:
    line = fake()
    result = InProcessLine(line, token=lambda: TOKEN).multicast(
        ["U1", "U2"], HELLO, retry_key(["d-1", "d-2"])
    )
    assert sorted(line.recipients()) == ["U1", "U2"]
    [request] = line.requests
    assert (request.endpoint, request.recipients) == ("multicast", 2)
    assert result.provider_message_id == request.request_id


def test_a_retry_key_accepted_before_is_the_earlier_request_and_sends_nothing() -> None:
    line = fake()
    transport = InProcessLine(line, token=lambda: TOKEN)
    key = retry_key(["d-1"])
    transport.push("U1", HELLO, key)
    again = transport.push("U1", HELLO, key)
    assert again.accepted_earlier
    assert again.provider_message_id == line.requests[0].request_id
    assert len(line.messages) == 1
    assert line.refused[409] == 1


@pytest.mark.parametrize(
    ("arrange", "kind", "reason"),
    [
        (lambda f: f.inject_error(500), Transient, "LINE 500"),
        (lambda f: f.inject_error(503, endpoint="push"), Transient, "LINE 503"),
        (lambda f: f.set_rate("push", 0), Throttled, "LINE 429"),
        (lambda f: setattr(f, "monthly_limit", 0), MonthlyLimit, "monthly limit"),
        (lambda f: setattr(f, "token", "rotated"), Rejected, "LINE 401: Authentication"),
    ],
    ids=["error", "error-on-push", "rate", "monthly-limit", "wrong-token"],
)
def test_a_refused_push_is_the_senders_decision_and_sends_nothing(
    arrange: Callable[[FakeLine], object], kind: type, reason: str
) -> None:
    line = fake()
    arrange(line)
    with pytest.raises(kind) as raised:
        InProcessLine(line, token=lambda: TOKEN).push("U1", HELLO, retry_key(["d-1"]))
    assert reason in str(raised.value)
    assert line.messages == []
    assert sum(line.refused.values()) == 1


def test_an_invalid_message_is_rejected_naming_the_property() -> None:
    line = fake()
    empty = LineContent(messages=[{"type": "text", "text": ""}], text="")
    with pytest.raises(Rejected, match=r"messages\[0\]\.text"):
        InProcessLine(line, token=lambda: TOKEN).push("U1", empty, retry_key(["d-1"]))
    assert line.refused[400] == 1


def test_an_invalid_flex_message_is_rejected() -> None:
    line = fake()
    flex = LineContent(messages=[{"type": "flex", "altText": "x", "contents": {}}], text="x")
    with pytest.raises(Rejected, match=r"messages\[0\]\.contents"):
        InProcessLine(line, token=lambda: TOKEN).push("U1", flex, retry_key(["d-1"]))


def test_an_answer_slower_than_the_timeout_is_unreachable_though_line_sent_it() -> None:
    line = fake()
    line.inject_slow(delay=30.0)
    transport = InProcessLine(line, token=lambda: TOKEN, timeout=10.0)
    with pytest.raises(Transient, match="unreachable"):
        transport.push("U1", HELLO, retry_key(["d-1"]))
    assert len(line.messages) == 1  # sent: the retry with the same key gets 409
    assert transport.push("U1", HELLO, retry_key(["d-1"])).accepted_earlier


def test_a_slow_answer_within_the_timeout_is_a_send_and_waits_for_nothing() -> None:
    line = fake(latency=2.0)
    result = InProcessLine(line, token=lambda: TOKEN).push("U1", HELLO, retry_key(["d-1"]))
    assert result.provider_message_id == line.messages[0].message_id


def test_the_token_is_read_at_each_send() -> None:
    line = fake()
    tokens = iter([TOKEN, "stale"])
    transport = InProcessLine(line, token=lambda: next(tokens))
    transport.push("U1", HELLO, retry_key(["d-1"]))
    with pytest.raises(Rejected, match="401"):
        transport.push("U2", HELLO, retry_key(["d-2"]))
    assert transport.calls == {"push": 2, "multicast": 0, "reply": 0}
