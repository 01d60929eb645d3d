"""Channel choice at send time."""

from __future__ import annotations

from typing import Any

import pytest

from kairos.delivery.routing import route
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template

ALL = Template.model_validate({"id": "t", "line": {"text": "a"}, "email": {"subject": "s", "text": "b"}, "sms": {"text": "c"}})  # fmt: skip
REACHABLE = {"line_user_id": "U1", "email": "a@example.com", "phone": "+886912345678"}


def request(channel: str, fallback: list[str] | None = None) -> SendRequest:
    return SendRequest.model_validate({
        "delivery_id": "d-1", "member_id": "m", "journey": "j", "journey_version": "1", "step": "s",
        "enrolment_id": "e", "template": "t", "template_version": "1", "channel": channel,
        "fallback": fallback or [], "requested_at": "2026-03-01T10:00:00+08:00",
    })  # fmt: skip


def usable(channel: str, fallback: list[str] | None = None, template: Template = ALL,
           settings: Settings | None = None, **profile: Any) -> list[str]:  # fmt: skip
    member = Member(member_id="m", profile={**REACHABLE, **profile})
    chosen = route(request(channel, fallback), settings or Settings(), member, template)
    return [c for c, _ in chosen.usable]


def test_a_named_channel_then_its_fallback_in_order() -> None:
    assert usable("line", ["sms", "email"]) == ["line", "sms", "email"]


def test_auto_follows_channel_priority() -> None:
    assert usable("auto", settings=Settings(channel_priority=["sms", "email", "line"])) == ["sms", "email", "line"]  # fmt: skip


@pytest.mark.parametrize(("profile", "gone"), [
    ({"line_user_id": None}, "line"),
    ({"line_following": False}, "line"),
    ({"unsubscribed": {"line": True}}, "line"),
    ({"consent": {"line": False}}, "line"),
    ({"email": None}, "email"),
    ({"email_status": "bounced"}, "email"),
    ({"email_status": "complained"}, "email"),
    ({"unsubscribed": {"email": True}}, "email"),
    ({"consent": {"email": False}}, "email"),
    ({"phone": None}, "sms"),
    ({"sms_opted_out": True}, "sms"),
    ({"consent": {"sms": False}}, "sms"),
    ({"unsubscribed": {"sms": True}}, "sms"),
])  # fmt: skip
def test_a_channel_is_unusable_when(profile: dict[str, Any], gone: str) -> None:
    # Given a member refusing or lacking one channel / When routed with auto
    chosen = usable("auto", **profile)
    # Then that channel alone is left out
    assert chosen == [c for c in ("line", "email", "sms") if c != gone]


def test_consent_true_or_absent_and_following_absent_are_usable() -> None:
    assert usable("auto", consent={"line": True}) == ["line", "email", "sms"]


def test_a_template_without_the_channel_body_makes_it_unusable() -> None:
    line_only = Template.model_validate({"id": "t", "line": {"text": "a"}})
    assert usable("line", ["email"], template=line_only) == ["line"]


def test_nothing_usable_gives_the_reasons() -> None:
    member = Member(member_id="m", profile={"line_user_id": "U1", "line_following": False})
    chosen = route(request("line", ["email"]), Settings(), member, ALL)
    assert chosen.usable == []
    assert chosen.reason() == "line: not following (blocked or unfollowed); email: no email"
