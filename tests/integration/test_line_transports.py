"""The in-process LINE transport of simulations and line-bot-sdk over HTTP to the fake
LINE server decide alike: each answer the fake can give becomes the same send result or
the same sender decision, and the fake records the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kairos.delivery.channels.base import LineSender, SendResult
from kairos.delivery.channels.line import LineChannel
from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.templates import LineContent
from kairos_dev.local.fake_line import FakeLine, start_fake_line
from kairos_dev.local.line_inprocess import InProcessLine

TOKEN = "channel-token"
HELLO = LineContent(messages=[{"type": "text", "text": "hello"}], text="hello")
FLEX = LineContent(
    messages=[
        {
            "type": "flex",
            "altText": "hi",
            "contents": {
                "type": "bubble",
                "body": {"type": "box", "layout": "vertical", "contents": [
                    {"type": "text", "text": "hi"}]},
            },
        }
    ],
    text="hi",
)  # fmt: skip
EMPTY = LineContent(messages=[{"type": "text", "text": ""}], text="")


@dataclass(frozen=True)
class Seen:
    """What a send came to: a result's shape or an error's kind and reason, and what the
    fake recorded and refused."""

    answer: tuple[str, ...]
    messages: int
    refused: dict[int, int]


Scenario = Callable[[FakeLine, LineSender], object]


def push(content: LineContent = HELLO, key: str = "d-1") -> Scenario:
    return lambda fake, line: line.push("U1", content, retry_key([key]))


def twice(fake: FakeLine, line: LineSender) -> object:
    line.push("U1", HELLO, retry_key(["d-1"]))
    return line.push("U1", HELLO, retry_key(["d-1"]))


def slow(fake: FakeLine, line: LineSender) -> object:
    fake.inject_slow(delay=1.0)
    return line.push("U1", HELLO, retry_key(["d-1"]))


def arranged(arrange: Callable[[FakeLine], object], then: Scenario) -> Scenario:
    def scenario(fake: FakeLine, line: LineSender) -> object:
        arrange(fake)
        return then(fake, line)

    return scenario


SCENARIOS: dict[str, Scenario] = {
    "push": push(),
    "flex": push(FLEX),
    "multicast": lambda fake, line: line.multicast(["U1", "U2"], HELLO, retry_key(["a", "b"])),
    "retry-key-accepted": twice,
    "invalid": push(EMPTY),
    "error": arranged(lambda f: f.inject_error(500), push()),
    "unavailable": arranged(lambda f: f.inject_error(503, endpoint="push"), push()),
    "rate": arranged(lambda f: f.set_rate("push", 0), push()),
    "monthly-limit": arranged(lambda f: setattr(f, "monthly_limit", 0), push()),
    "wrong-token": arranged(lambda f: setattr(f, "token", "other"), push()),
    "timeout": slow,
}


def seen(fake: FakeLine, line: LineSender, scenario: Scenario) -> Seen:
    try:
        result = scenario(fake, line)
        assert isinstance(result, SendResult)
        answer: tuple[str, ...] = (
            "sent",
            str(result.accepted_earlier),
            str(result.provider_message_id is not None),
        )
    except Exception as exc:
        answer = (type(exc).__name__, str(exc))
    return Seen(answer, len(fake.messages), dict(fake.refused))


@pytest.fixture
def served() -> Iterator[FakeLine]:
    fake = start_fake_line(token=TOKEN)
    yield fake
    fake.stop()


@pytest.mark.parametrize("name", SCENARIOS)
def test_in_process_and_over_http_decide_alike(served: FakeLine, name: str) -> None:
    scenario = SCENARIOS[name]
    over_http = LineChannel(served.url, token=lambda: TOKEN, timeout=(1.0, 0.3))
    in_process_fake = FakeLine(token=TOKEN, rates={"push": None, "multicast": None})
    in_process = InProcessLine(in_process_fake, token=lambda: TOKEN, timeout=0.3)
    expected = seen(served, over_http, scenario)
    assert seen(in_process_fake, in_process, scenario) == expected
    assert in_process_fake.messages == [] or (
        [m.message for m in in_process_fake.messages] == [m.message for m in served.messages]
    )
