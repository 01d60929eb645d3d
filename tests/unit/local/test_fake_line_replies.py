"""The fake LINE's reply endpoint keeps LINE's token rules — once, within a minute, the
same 400 for an unknown, expired or used token — in process and over HTTP, and the
simulator posts a member's own LINE event with a token the fake issued."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.model import ReplyUnknown, ReplyUnusable, Throttled
from kairos.delivery.templates import LineContent
from kairos_dev.local.fake_line import (
    REPLY_TOKEN_SECONDS,
    Endpoint,
    FakeLine,
    start_fake_line,
)
from kairos_dev.local.line_inprocess import InProcessLine
from kairos_dev.local.simulator import Simulation
from tests.e2e.journey_builder import BrandProject, at, follow, profile

TOKEN = "channel-token"
HELLO = [{"type": "text", "text": "hello"}]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fake(clock: Clock | None = None, **fields: Any) -> FakeLine:
    rates: dict[Endpoint, float | None] = {"push": None, "multicast": None, "reply": None}
    return FakeLine(token=TOKEN, rates=rates, clock=clock or Clock(), **fields)


def reply(line: FakeLine, token: str, messages: list[dict[str, Any]] = HELLO) -> Any:
    return InProcessLine(line, token=lambda: TOKEN).reply(token, messages)


def test_a_fresh_token_replies_once_to_its_user() -> None:
    line = fake()
    token = line.issue_reply_token("U1")
    assert len(token) == 32 and int(token, 16) >= 0  # LINE's look: 32 hex characters
    two = [{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}]
    ids = reply(line, token, two)
    assert [m.message for m in line.messages] == two
    assert [(m.to, m.endpoint, m.retry_key) for m in line.messages] == [("U1", "reply", None)] * 2
    assert ids == [m.message_id for m in line.messages]
    [request] = line.requests
    assert (request.endpoint, request.recipients, request.retry_key) == ("reply", 1, None)
    assert line.replies() == {"U1": 2} and line.recipients() == {"U1": 2}


def test_a_used_token_is_refused_and_sends_nothing() -> None:
    line = fake()
    token = line.issue_reply_token("U1")
    reply(line, token)
    status, _, answer, _ = line.receive("reply", AUTH, {"replyToken": token, "messages": HELLO})
    assert (status, answer) == (400, {"message": "Invalid reply token"})
    assert len(line.messages) == 1 and len(line.requests) == 1
    with pytest.raises(ReplyUnusable):
        reply(line, token)
    assert line.refused[400] == 2


def test_a_token_is_usable_for_a_minute_after_its_event() -> None:
    clock = Clock()
    line = fake(clock)
    fresh = line.issue_reply_token("U1")
    stale = line.issue_reply_token("U2", at=clock.now - 1)
    clock.now += REPLY_TOKEN_SECONDS
    assert reply(line, fresh)  # a minute on: still usable
    with pytest.raises(ReplyUnusable):
        reply(line, stale)  # a minute and a second: expired
    assert line.replies() == {"U1": 1}


def test_an_unknown_token_is_refused_with_the_same_words() -> None:
    line = fake()
    line.issue_reply_token("U1")
    status, _, answer, _ = line.receive("reply", AUTH, {"replyToken": "0" * 32, "messages": HELLO})
    assert (status, answer) == (400, {"message": "Invalid reply token"})
    assert line.messages == []


def test_a_reply_is_validated_as_a_push_and_the_token_stays_usable() -> None:
    line = fake()
    token = line.issue_reply_token("U1")
    six = {"replyToken": token, "messages": HELLO * 6}
    status, _, answer, _ = line.receive("reply", AUTH, six)
    assert status == 400
    assert [d["property"] for d in answer["details"]] == ["messages"]
    empty = {"replyToken": token, "messages": [{"type": "text", "text": ""}]}
    assert line.receive("reply", AUTH, empty)[2]["details"][0]["property"] == "messages[0].text"
    no_token = line.receive("reply", AUTH, {"replyToken": "", "messages": HELLO})
    assert no_token[2]["details"][0]["property"] == "replyToken"
    assert line.messages == [] and reply(line, token)


def test_replies_have_their_own_rate() -> None:
    line = fake()
    line.set_rate("reply", 1)
    first, second = line.issue_reply_token("U1"), line.issue_reply_token("U2")
    reply(line, first)
    status, _, answer, _ = line.receive("reply", AUTH, {"replyToken": second, "messages": HELLO})
    assert (status, answer) == (429, {"message": "Too Many Requests"})
    with pytest.raises(Throttled):
        reply(line, second)
    line.set_rate("push", 1)
    InProcessLine(line, token=lambda: TOKEN).push(
        "U3", LineContent(messages=HELLO, text="hello"), retry_key(["d-1"])
    )  # the push's window is its own
    assert line.replies() == {"U1": 1} and line.recipients() == {"U1": 1, "U3": 1}


def test_replies_are_free_of_the_monthly_allowance() -> None:
    line = fake(monthly_limit=1)
    for user in ("U1", "U2"):
        reply(line, line.issue_reply_token(user))
    InProcessLine(line, token=lambda: TOKEN).push(
        "U4", LineContent(messages=HELLO, text="hello"), retry_key(["d-1"])
    )  # the replies before it took none of the month's one message
    reply(line, line.issue_reply_token("U3"))  # and the month spent does not stop a reply
    assert line.recipients() == {"U1": 1, "U2": 1, "U3": 1, "U4": 1}
    consumption = line.handle_settings("GET", "/v2/bot/message/quota/consumption", AUTH, b"")
    assert consumption == (200, {"totalUsage": 1})


def test_a_slow_reply_was_sent_and_its_token_used_though_no_answer_came() -> None:
    line = fake()
    line.inject_slow(delay=30.0, endpoint="reply")
    token = line.issue_reply_token("U1")
    with pytest.raises(ReplyUnknown, match="did not answer"):
        reply(line, token)
    assert line.replies() == {"U1": 1}
    with pytest.raises(ReplyUnusable):
        reply(line, token)


def test_an_injected_error_on_replies_sends_nothing_and_leaves_pushes_alone() -> None:
    line = fake()
    line.inject_error(500, endpoint="reply")
    InProcessLine(line, token=lambda: TOKEN).push(
        "U2", LineContent(messages=HELLO, text="hello"), retry_key(["d-1"])
    )
    token = line.issue_reply_token("U1")
    status, _, _, _ = line.receive("reply", AUTH, {"replyToken": token, "messages": HELLO})
    assert status == 500
    assert line.replies() == {} and reply(line, token)  # nothing was sent: still usable


def test_reset_forgets_the_tokens() -> None:
    line = fake()
    token = line.issue_reply_token("U1")
    line.reset()
    with pytest.raises(ReplyUnusable):
        reply(line, token)


# ---- over HTTP ----------------------------------------------------------------------------


def post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


@pytest.fixture
def served() -> Iterator[FakeLine]:
    line = start_fake_line(token=TOKEN, reply_rate=2)
    try:
        yield line
    finally:
        line.stop()


def test_over_http_a_token_replies_once_and_a_retry_key_is_ignored(served: FakeLine) -> None:
    url = served.url + "/v2/bot/message/reply"
    token = served.issue_reply_token("U1")
    body = {"replyToken": token, "messages": HELLO}
    headers = {**AUTH, "X-Line-Retry-Key": "not-a-uuid"}
    status, answer = post(url, body, headers)
    assert status == 200
    [sent] = answer["sentMessages"]
    assert sent["id"] == served.messages[0].message_id and sent["quoteToken"]
    assert post(url, body, AUTH) == (400, {"message": "Invalid reply token"})
    assert post(url, body, {"Authorization": "Bearer wrong"})[0] == 401
    assert served.replies() == {"U1": 1}
    assert served.messages[0].retry_key is None


def test_over_http_the_reply_rate_is_enforced(served: FakeLine) -> None:
    url = served.url + "/v2/bot/message/reply"
    served.clock = lambda: 1_000_000.5  # one window for every request
    answers = [
        post(url, {"replyToken": served.issue_reply_token(f"U{i}"), "messages": HELLO}, AUTH)[0]
        for i in range(3)
    ]
    assert answers == [200, 200, 429]
    assert served.max_per_second("reply") == 2


# ---- the simulator ------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Iterator[BrandProject]:
    saved = dict(os.environ)
    try:
        yield (
            BrandProject(tmp_path)
            .template("hello", line="Hi")
            .journey(
                """
            id: welcome
            trigger: {event: line.follow}
            steps:
              - {id: hi, send: {channel: line, template: hello}}
            """
            )
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_simulator_posts_a_members_line_event_with_a_token_the_fake_issued(
    project: BrandProject,
) -> None:
    from kairos.models.events import CanonicalEvent

    start = datetime.fromisoformat(at("2026-03-02T10:00"))
    simulation = Simulation.start(str(project.root), start)
    posted: list[dict[str, Any]] = []
    invoke = simulation.host.invoke

    def spy(name: str, event: dict[str, Any]) -> Any:
        if name == "webhook" and event.get("path") == "/events":
            posted.append(json.loads(event["body"]))
        return invoke(name, event)

    simulation.host.invoke = spy  # type: ignore[method-assign]
    events = [
        follow("U1", "2026-03-02T10:00"),
        {**follow("U2", "2026-03-02T10:00"), "reply_token": "from-the-file"},
        profile("U1", "2026-03-02T10:01", name="Amy"),
    ]
    try:
        deliveries = simulation.run(
            [CanonicalEvent.model_validate(e) for e in events],
            datetime.fromisoformat(at("2026-03-03")),
        )
        issued = simulation._fake_line.reply_tokens.tokens
        replied = simulation._fake_line.replies()
    finally:
        simulation.stop()
    tokens = {p["id"]: p.get("reply_token") for p in posted}
    first = events[0]["id"]
    assert [p["id"] for p in posted] == [e["id"] for e in events]  # ids as they were
    assert tokens[first] in issued and issued[tokens[first]].user_id == "U1"
    assert issued[tokens[first]].issued_at == start.timestamp()  # at the event's time
    assert tokens[events[1]["id"]] == "from-the-file" and len(issued) == 1
    assert tokens[events[2]["id"]] is None  # not a LINE event of the member's own
    by_member = {d.member.get("line_user_id"): d for d in deliveries}
    # The welcome answers U1's follow by reply; U2's token is none LINE gave: pushed.
    assert [(d.status, d.via, d.route) for d in (by_member["U1"], by_member["U2"])] == [
        ("sent", "reply", "line/reply"),
        ("sent", "push", "line/push"),
    ]
    assert by_member["U1"].as_json()["via"] == "reply"
    assert replied == {"U1": 1}
