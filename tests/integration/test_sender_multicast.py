"""Identical non-personalised LINE messages go out as one multicast, not many pushes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kairos_dev.local.emulator import Emulator
from tests.integration.test_sender_harness import Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


def test_one_multicast_for_identical_messages_pushes_for_personal_ones(rig: Rig) -> None:
    # Given 30 members sent the same news and 3 sent a personal greeting, in one batch
    for i in range(33):
        rig.member(f"m{i}", line_user_id=f"U{i}", name=f"N{i}")
    news = [request(f"m{i}", template="news") for i in range(30)]
    hello = [request(f"m{i}", template="hello") for i in range(30, 33)]
    rig.enqueue(*news, *hello)
    # When the batch is processed
    rig.drain(batch_size=50)
    # Then LINE got one multicast to the 30 and three pushes, each member one message
    endpoints = sorted((r.endpoint, r.recipients) for r in rig.line.requests)
    assert endpoints == [("multicast", 30), ("push", 1), ("push", 1), ("push", 1)]
    assert rig.line.recipients() == {f"U{i}": 1 for i in range(33)}
    record = rig.delivery(news[0])
    assert (record["status"], record["endpoint"]) == ("sent", "multicast")
    assert (record["via"], record["billed"]) == ("multicast", True)
    assert record["provider_message_id"] == next(r.request_id for r in rig.line.requests if r.endpoint == "multicast")  # fmt: skip
    assert rig.deliveries().counters("welcome", "greet")["sent_line"] == 33


def test_a_redelivered_multicast_batch_sends_nothing_again(rig: Rig) -> None:
    # Given a multicast already sent
    for i in range(5):
        rig.member(f"m{i}", line_user_id=f"U{i}")
    news = [request(f"m{i}", template="news") for i in range(5)]
    rig.enqueue(*news)
    rig.drain(batch_size=20)
    # When the same requests come again, grouped differently with a new one
    rig.member("m5", line_user_id="U5")
    again = [*news[:3], request("m5", template="news")]
    rig.enqueue(*again)
    rig.drain(batch_size=20)
    # Then only the new member received anything
    assert rig.line.recipients() == {f"U{i}": 1 for i in range(6)}


def test_members_blocked_or_capped_are_left_out_of_the_multicast(rig: Rig) -> None:
    from kairos.models.settings import Duration, FrequencyCap, Settings

    rig.use(Settings(frequency_cap=FrequencyCap(max=1, per=Duration(days=1))))
    for i in range(4):
        rig.member(f"m{i}", line_user_id=f"U{i}", line_following=(i != 1))
    first = [request("m2", template="hello")]  # uses m2's one send today
    rig.enqueue(*first)
    rig.drain()
    news = [request(f"m{i}", template="news") for i in range(4)]
    rig.enqueue(*news)
    rig.drain(batch_size=20)
    statuses = [rig.delivery(s)["status"] for s in news]
    assert statuses == ["sent", "unreachable", "capped", "sent"]
    multicast = [r for r in rig.line.requests if r.endpoint == "multicast"]
    assert [r.recipients for r in multicast] == [2]
