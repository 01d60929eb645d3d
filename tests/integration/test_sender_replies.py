"""Replies first over real HTTP: the sender (line-bot-sdk) against the fake LINE's reply
endpoint and its token rules, on the emulator's table and queue."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from kairos.delivery.replying import UNKNOWN
from kairos.models.send_request import SendRequest
from kairos_dev.local.emulator import Emulator
from tests.integration.test_sender_harness import NOW, Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


def offered(member_id: str, token: str, order: int = 0, **fields: Any) -> SendRequest:
    by = fields.pop("by", NOW + timedelta(seconds=30))
    return request(member_id, reply={"token": token, "by": by, "order": order}, **fields)


def endpoints(rig: Rig) -> list[str]:
    return [m.endpoint for m in rig.line.messages]


def test_a_welcome_answering_the_follow_is_one_free_reply(rig: Rig) -> None:
    # Given a new friend whose follow made two sends due at once
    rig.member("m1", line_user_id="U1", name="Amy")
    token = rig.line.issue_reply_token("U1")
    hello, news = offered("m1", token, 0), offered("m1", token, 1, template="news", step="news")
    rig.enqueue(news, hello)
    rig.drain()
    # Then LINE got one reply with both messages, in step order, and nothing was billed
    assert [m.message["text"] for m in rig.line.messages] == ["Amy，早安！", "本週新品上架！"]
    assert endpoints(rig) == ["reply", "reply"]
    assert len(rig.line.requests) == 1
    for send in (hello, news):
        record = rig.delivery(send)
        assert (record["status"], record["via"], record["billed"]) == ("sent", "reply", False)


def test_a_token_used_already_falls_back_to_one_push(rig: Rig) -> None:
    # Given the event's token was used by another answer (the brand's own chatbot)
    rig.member("m1", line_user_id="U1", name="Amy")
    token = rig.line.issue_reply_token("U1")
    body = json.dumps({"replyToken": token, "messages": [{"type": "text", "text": "hi"}]})
    used = urllib.request.Request(
        f"{rig.line.url}/v2/bot/message/reply", body.encode(), method="POST",
        headers={"Authorization": f"Bearer {rig.line.token}", "Content-Type": "application/json"},
    )  # fmt: skip
    urllib.request.urlopen(used).read()
    send = offered("m1", token)
    rig.enqueue(send, send)  # and SQS hands the send over twice
    rig.drain()
    # Then the member got the welcome once, by push, billed, and the record says why
    assert endpoints(rig) == ["reply", "push"]
    record = rig.delivery(send)
    assert (record["via"], record["billed"], record["reply_fallback"]) == (
        "push", True, "reply token unusable",
    )  # fmt: skip
    assert rig.line.refused[400] == 1


def test_an_expired_token_is_pushed_without_asking_line(rig: Rig) -> None:
    rig.member("m1", line_user_id="U1")
    token = rig.line.issue_reply_token("U1")
    send = offered("m1", token, by=NOW - timedelta(seconds=1))
    rig.enqueue(send)
    rig.drain()
    assert endpoints(rig) == ["push"] and rig.line.refused[400] == 0
    assert rig.delivery(send)["reply_fallback"] == "reply token expired"


def test_a_reply_that_times_out_is_recorded_once_and_not_pushed(rig: Rig) -> None:
    # Given LINE takes the reply but answers after the sender stopped waiting
    rig.member("m1", line_user_id="U1")
    rig.services.channels.line.timeout = (1.0, 0.3)  # type: ignore[union-attr]
    rig.line.inject_slow(delay=1.0, endpoint="reply")
    token = rig.line.issue_reply_token("U1")
    send = offered("m1", token)
    rig.enqueue(send)
    rig.drain()
    # Then the member has it once, by the reply, and no push followed
    assert endpoints(rig) == ["reply"]
    record = rig.delivery(send)
    assert (record["status"], record["via"], record["reason"]) == ("sent", "reply", UNKNOWN)


def test_a_reply_throttled_by_line_is_pushed_at_once(rig: Rig) -> None:
    rig.member("m1", line_user_id="U1")
    rig.line.inject_error(429, endpoint="reply")
    send = offered("m1", rig.line.issue_reply_token("U1"))
    rig.enqueue(send)
    rig.drain()
    assert endpoints(rig) == ["push"]
    assert rig.delivery(send)["reply_fallback"] == "reply not sent (LINE 429)"
