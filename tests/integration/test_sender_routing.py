"""Channel choice at send time: fallback, unreachable, suppression and consent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kairos_dev.local.emulator import Emulator
from tests.integration.test_sender_harness import Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


def test_a_member_who_blocked_the_account_gets_the_fallback(rig: Rig) -> None:
    # Given a member who unfollowed on LINE but has an email
    rig.member("m1", line_user_id="U1", line_following=False, email="amy@example.com", name="Amy")
    send = request("m1", channel="line", fallback=["email"])
    # When the LINE send with an email fallback is processed
    rig.enqueue(send)
    rig.drain()
    # Then no LINE message, one email, recorded as sent on email
    assert rig.line.messages == []
    assert [e.subject for e in rig.outbox.emails("amy@example.com")] == ["Hi Amy"]
    assert rig.delivery(send)["channel"] == "email"


def test_auto_follows_the_brands_priority(rig: Rig) -> None:
    from kairos.models.settings import Settings

    rig.use(Settings(channel_priority=["sms", "line", "email"]))
    rig.member("m1", line_user_id="U1", phone="+886912000001")
    send = request("m1", channel="auto")
    rig.enqueue(send)
    rig.drain()
    assert [s.phone for s in rig.outbox.sms()] == ["+886912000001"]
    assert rig.line.messages == []


def test_nobody_reachable_is_recorded_unreachable_not_an_error(rig: Rig) -> None:
    # Given members reachable on nothing the step allows, and one who does not exist
    rig.member("m1", line_user_id="U1", unsubscribed={"line": True}, email="a@example.com", email_status="bounced")  # fmt: skip
    rig.member("m2", phone="+886912000002", sms_opted_out=True, line_user_id="U2", consent={"line": False})  # fmt: skip
    first = request("m1", fallback=["email"])
    second = request("m2", channel="auto")
    ghost = request("nobody")
    rig.enqueue(first, second, ghost)
    # When processed
    rig.drain()
    # Then nothing was sent; each is `unreachable` with the reasons, on timeline and counters
    assert rig.line.messages == [] and rig.outbox.emails() == [] and rig.outbox.sms() == []
    assert rig.delivery(first)["reason"] == "line: unsubscribed; email: email bounced"
    assert (
        rig.delivery(second)["reason"] == "line: no consent; email: no email; sms: opted out of SMS"
    )
    assert rig.delivery(ghost)["reason"] == "member not found"
    assert [e["kind"] for e in rig.timeline("m1")] == ["delivery.unreachable"]
    assert rig.deliveries().counters("welcome", "greet") == {"unreachable": 3}
    assert rig.queue_depth() == 0 and rig.queue_depth(rig.dlq_url) == 0


def test_complained_email_and_email_unsubscribe_fall_through_to_sms(rig: Rig) -> None:
    rig.member("m1", email="a@example.com", email_status="complained", phone="+886912000003")
    rig.member("m2", email="b@example.com", unsubscribed={"email": True}, phone="+886912000004")
    rig.enqueue(request("m1", channel="email", fallback=["sms"]), request("m2", channel="email", fallback=["sms"]))  # fmt: skip
    rig.drain()
    assert rig.outbox.emails() == []
    assert sorted(s.phone for s in rig.outbox.sms()) == ["+886912000003", "+886912000004"]
