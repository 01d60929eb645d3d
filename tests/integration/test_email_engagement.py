"""SES engagement events, end to end on the emulator: the real sender sends, the
emulator's SES publishes as SES does, the real webhook applies `email.*` events to the
member named by the email's `delivery_id` tag; a hard bounce or a complaint stops email."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kairos.ingest.identity import new_member_id
from kairos.store.members import MemberRepository
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.fake_ses import SesEventPump, SesEvents
from tests.builders import WebhookClient, canonical
from tests.integration.test_sender_harness import NOW, Rig, make_rig, request


@pytest.fixture
def rig(emulator: Emulator) -> Iterator[Rig]:
    yield from make_rig(emulator)


class Mailbox:
    """The stack's SES events → the webhook, as the EventBridge rule does."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.webhook = WebhookClient(rig.stack)
        self.ses = SesEvents(rig.stack.prefix, clock=lambda: NOW)
        self.pump = SesEventPump(self.ses, self.invoke)
        self.answers: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> None:
        self.answers.append(self.webhook.host.invoke("webhook", event))

    def member(self, email: str) -> str:
        """A member known by email, made as any member is: through the webhook."""
        answer = self.webhook.events(
            canonical(f"join-{email}", "profile.updated", {"email": email})
        )
        assert answer.status == 200
        return new_member_id({"email": email}, self.rig.stack.secrets.member_id_key.encode())

    def send(self, member_id: str) -> str:
        send = request(member_id, channel="email")
        self.rig.enqueue(send)
        self.rig.drain()
        self.pump.pump_once()
        return send.delivery_id

    def kinds(self, member_id: str) -> list[str]:
        """The member's `email.*` timeline entries (sorted: one test clock, one time)."""
        timeline = MemberRepository(self.rig.table, self.rig.client("dynamodb")).timeline(member_id)
        return sorted(entry["kind"] for entry in timeline if entry["kind"].startswith("email."))

    def profile(self, member_id: str) -> dict[str, Any]:
        member = MemberRepository(self.rig.table, self.rig.client("dynamodb")).get(member_id)
        assert member is not None
        return member.profile


@pytest.fixture
def mailbox(rig: Rig) -> Mailbox:
    return Mailbox(rig)


def test_a_delivered_email_reaches_the_members_timeline(mailbox: Mailbox) -> None:
    # Given a member with an email address
    amy = mailbox.member("amy@example.com")
    # When an email is sent to her
    delivery_id = mailbox.send(amy)
    # Then SES's delivery event comes back as `email.delivered` for that send
    assert mailbox.kinds(amy) == ["email.delivered"]
    timeline = MemberRepository(mailbox.rig.table, mailbox.rig.client("dynamodb")).timeline(amy)
    (entry,) = [e for e in timeline if e["kind"] == "email.delivered"]
    assert entry["data"]["delivery_id"] == delivery_id
    assert (entry["data"]["journey"], entry["data"]["step"]) == ("welcome", "greet")
    assert "email_status" not in mailbox.profile(amy)


def test_opens_and_clicks_come_back_for_their_send(mailbox: Mailbox) -> None:
    amy = mailbox.member("amy@example.com")
    delivery_id = mailbox.send(amy)
    message_id = mailbox.ses.message_id(delivery_id)
    # When she opens it and clicks a link
    mailbox.ses.open(message_id)
    mailbox.ses.click(message_id, "https://shop.example/sale")
    mailbox.pump.pump_once()
    # Then both are on her timeline, naming the send
    assert mailbox.kinds(amy) == ["email.clicked", "email.delivered", "email.opened"]


def test_a_hard_bounce_stops_email_to_that_address(mailbox: Mailbox) -> None:
    # Given a member whose address bounces (the SES mailbox simulator's)
    member = mailbox.member("bounce@simulator.amazonses.com")
    # When an email is sent, Then SES's bounce sets her email status
    first = mailbox.send(member)
    assert mailbox.kinds(member) == ["email.bounced"]
    assert mailbox.profile(member)["email_status"] == "bounced"
    assert mailbox.rig.deliveries().delivery(first)["status"] == "sent"
    # And the next email is not sent at all
    second = mailbox.send(member)
    record = mailbox.rig.deliveries().delivery(second)
    assert record is not None and record["status"] == "unreachable"
    assert record["reason"] == "email: email bounced"


def test_a_complaint_stops_email_to_that_address(mailbox: Mailbox) -> None:
    member = mailbox.member("complaint@simulator.amazonses.com")
    mailbox.send(member)
    assert mailbox.kinds(member) == ["email.complained", "email.delivered"]
    assert mailbox.profile(member)["email_status"] == "complained"
    record = mailbox.rig.deliveries().delivery(mailbox.send(member))
    assert record is not None and record["status"] == "unreachable"


def test_a_soft_bounce_leaves_the_address_usable(mailbox: Mailbox) -> None:
    amy = mailbox.member("amy@example.com")
    delivery_id = mailbox.send(amy)
    mailbox.ses.bounce(mailbox.ses.message_id(delivery_id), permanent=False)
    mailbox.pump.pump_once()
    assert mailbox.kinds(amy) == ["email.bounced", "email.delivered"]
    assert "email_status" not in mailbox.profile(amy)


def test_a_redelivered_event_is_applied_once(mailbox: Mailbox) -> None:
    amy = mailbox.member("amy@example.com")
    delivery_id = mailbox.send(amy)
    mailbox.ses.open(mailbox.ses.message_id(delivery_id))
    [event] = mailbox.ses.take()
    # EventBridge delivers at least once: the same event id twice
    mailbox.invoke(event)
    mailbox.invoke(event)
    assert mailbox.kinds(amy) == ["email.delivered", "email.opened"]


def test_an_email_of_another_configuration_set_is_not_ours(mailbox: Mailbox) -> None:
    # Other stages share the default bus; the rule filters, and so does the local one.
    other = SesEvents("kairos-other-stage")
    amy = mailbox.member("amy@example.com")
    mailbox.send(amy)
    assert other.take() == []
