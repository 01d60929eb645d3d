"""Frequency cap, transactional bypass, and the LINE monthly allowance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kairos.models.settings import Channels, Duration, FrequencyCap, LineChannel, Settings
from kairos_dev.local.emulator import Emulator
from tests.integration.test_sender_harness import NOW, Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


CAPPED = Settings(frequency_cap=FrequencyCap(max=2, per=Duration(days=7)))


def test_sends_over_the_frequency_cap_are_capped_and_transactional_ones_bypass_it(rig: Rig) -> None:  # fmt: skip
    # Given a cap of 2 per 7 days
    rig.use(CAPPED)
    rig.member("m1", line_user_id="U1")
    marketing = [request("m1", requested_at=NOW + timedelta(hours=i)) for i in range(3)]
    receipt = request("m1", transactional=True, requested_at=NOW + timedelta(hours=4))
    # When three marketing sends and one transactional arrive in turn
    for send in [*marketing, receipt]:
        rig.enqueue(send)
        rig.drain()
    # Then two marketing messages and the receipt went out; the third is `capped`
    assert rig.line.recipients() == {"U1": 3}
    assert [rig.delivery(s)["status"] for s in marketing] == ["sent", "sent", "capped"]
    assert rig.delivery(receipt)["status"] == "sent"
    # And the transactional send did not count: a marketing send a week later fits again
    later = request("m1", requested_at=NOW + timedelta(days=7, hours=1))
    rig.enqueue(later)
    rig.drain()
    assert rig.delivery(later)["status"] == "sent"
    assert rig.deliveries().counters("welcome", "greet")["capped"] == 1


def test_concurrent_sends_to_one_member_never_exceed_the_cap(rig: Rig) -> None:
    # Given five sends to one member in one batch and a cap of 2
    rig.use(CAPPED)
    rig.member("m1", line_user_id="U1", name="A")
    sends = [request("m1", template="hello") for _ in range(5)]
    rig.enqueue(*sends)
    rig.drain()
    statuses = sorted(rig.delivery(s)["status"] for s in sends)
    assert statuses == ["capped", "capped", "capped", "sent", "sent"]
    assert rig.line.recipients() == {"U1": 2}


@pytest.fixture
def small_allowance(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


def test_the_monthly_limit_moves_marketing_to_the_next_channel_or_quota_exceeded(small_allowance: Rig) -> None:  # fmt: skip
    rig = small_allowance
    # Given an allowance of 3 LINE messages a month
    rig.use(Settings(channels=Channels(line=LineChannel(monthly_limit=3))))
    for i in range(5):
        rig.member(f"m{i}", line_user_id=f"U{i}", email=f"m{i}@example.com" if i == 3 else None)
    sends = [request(f"m{i}", fallback=["email"]) for i in range(5)]
    receipt = request("m4", transactional=True)
    # When five marketing sends and then one transactional send are processed
    rig.enqueue(*sends)
    rig.drain()
    rig.enqueue(receipt)
    rig.drain()
    # Then three went on LINE, one moved to email, one is quota_exceeded, the receipt went
    statuses = [(rig.delivery(s)["status"], rig.delivery(s)["channel"]) for s in sends]
    assert statuses[:3] == [("sent", "line")] * 3
    assert statuses[3] == ("sent", "email")
    assert statuses[4] == ("quota_exceeded", "line")
    assert rig.delivery(receipt)["status"] == "sent"
    assert rig.limits().quota("line", "2026-03") == (4, False)


@pytest.fixture
def line_allowance_used(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator, monthly_limit=1)


def test_lines_own_monthly_limit_answer_is_not_retried_and_falls_back(line_allowance_used: Rig) -> None:  # fmt: skip
    rig = line_allowance_used
    # Given LINE itself has 1 message left this month (we did not configure a limit)
    rig.member("m1", line_user_id="U1")
    rig.member("m2", line_user_id="U2", phone="+886912000009")
    rig.member("m3", line_user_id="U3")
    first, second, third = request("m1"), request("m2", fallback=["sms"]), request("m3")
    # When three sends are processed
    rig.enqueue(first)
    rig.drain()
    rig.enqueue(second, third)
    rig.drain()
    # Then LINE's 429 "monthly limit" sent the second by SMS and the third is quota_exceeded
    assert rig.delivery(first)["channel"] == "line"
    assert (rig.delivery(first)["via"], rig.delivery(first)["billed"]) == ("push", True)
    assert (rig.delivery(second)["status"], rig.delivery(second)["channel"]) == ("sent", "sms")
    assert rig.delivery(third)["status"] == "quota_exceeded"
    assert rig.line.refused[429] == 1  # asked once; the month is marked exhausted after
