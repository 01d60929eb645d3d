"""The members family's pure parts: reachability as the sender decides it, history
kinds, how journeys ended, and what a change request must carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairos.console.changes import note_text, reference
from kairos.console.history import FILTERS, entry_of, kind_of
from kairos.console.member_page import journeys, reachability
from kairos.engine.enrolment import Enrolment
from kairos.members.service import InvalidRequest
from kairos.models.member import Member

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def member(profile: dict[str, Any], **identifiers: str) -> Member:
    return Member(member_id="m-1", profile=profile, identifiers=identifiers)


@pytest.mark.parametrize(
    ("profile", "identifiers", "line", "email", "sms"),
    [
        ({}, {}, "none", "none", "none"),
        ({}, {"line_user_id": "U1", "email": "a@x.tw", "phone": "+886912345678"},
         "unknown", "ok", "ok"),
        ({"line_following": True, "email_status": "bounced", "sms_opted_out": True},
         {"line_user_id": "U1", "email": "a@x.tw", "phone": "+886912345678"},
         "following", "bounced", "opted_out"),
        ({"line_following": False, "unsubscribed": {"email": True}, "consent": {"sms": False}},
         {"line_user_id": "U1", "email": "a@x.tw", "phone": "+886912345678"},
         "blocked", "unsubscribed", "no_consent"),
        ({"line_following": True, "consent": {"line": False, "email": False}},
         {"line_user_id": "U1", "email": "a@x.tw"}, "blocked", "no_consent", "none"),
        ({"email_status": "complained"}, {"email": "a@x.tw"}, "none", "complained", "none"),
    ],
)  # fmt: skip
def test_reachability_per_channel(
    profile: dict[str, Any], identifiers: dict[str, str], line: str, email: str, sms: str
) -> None:
    found = reachability(member(profile, **identifiers))
    assert (found.line.status, found.email.status, found.sms.status) == (line, email, sms)
    assert all(c.reason for c in (found.line, found.email, found.sms))


def test_history_kinds() -> None:
    assert kind_of("tag.added", {"tag": "vip"}) == "other"  # the brand's own systems
    assert kind_of("tag.added", {"tag": "vip", "by": "sam"}) == "staff"
    assert kind_of("member.merged", {}) == "staff"
    assert kind_of("delivery.capped", {}) == "messages"
    assert kind_of("line.message", {}) == "line"
    assert kind_of("email.opened", {}) == "opens"
    assert kind_of("message.clicked", {}) == "clicks"
    # What the mail service said of an email afterwards is part of that message's story
    assert kind_of("email.delivered", {}) == "messages"
    assert kind_of("email.bounced", {}) == "messages"
    assert kind_of("profile.updated", {}) == "other"


def test_every_kind_an_entry_is_shown_under_is_a_filter_that_finds_it() -> None:
    # Given entries of each kind's types, as the history list labels them
    for entry_type in ("line.follow", "order.created", "delivery.sent", "email.delivered",
                       "journey.held_out", "email.opened", "email.clicked", "message.clicked"):  # fmt: skip
        kind = kind_of(entry_type, {})
        # Then filtering by that kind keeps them (the list and the filter never disagree)
        assert FILTERS[kind].matches(entry_type), entry_type


def test_history_entries() -> None:
    entry = entry_of(
        {"kind": "delivery.failed", "time": NOW.isoformat(),
         "data": {"journey": "j", "step": "s", "channel": "sms", "reason": "<b>x</b>"}}
    )  # fmt: skip
    assert (entry.kind, entry.status, entry.channel) == ("messages", "failed", "sms")
    assert entry.data == {"reason": "<b>x</b>"}


def test_journeys_current_and_how_they_ended() -> None:
    def enrolment(n: int, **fields: Any) -> Enrolment:
        return Enrolment(id=f"e{n}", journey=f"j{n}", journey_version="v", member_id="m-1",
                         entered_at=NOW - timedelta(days=n), **fields)  # fmt: skip

    found = journeys([
        enrolment(1, state="exited", exit_reason="goal unmet", ended_at=NOW),
        enrolment(2, state="completed", ended_at=NOW),
        enrolment(3, state="exited", converted=True, ended_at=NOW),
        enrolment(4, state="active", step="send_1"),
        enrolment(0, state="waiting", step="wait", wait_until=NOW + timedelta(hours=3)),
    ])  # fmt: skip
    assert [(j.journey, j.step) for j in found.current] == [("j0", "wait"), ("j4", "send_1")]
    assert [(j.journey, j.how) for j in found.past] == [
        ("j1", "exited"), ("j2", "completed"), ("j3", "converted"),
    ]  # fmt: skip
    assert found.past[0].reason == "goal unmet"


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"", "text"), (b"[]", "text"), (b'{"text": 3}', "text"), (b"{", "body"),
     (b'{"text": "x", "author": "CEO"}', "author")],
)  # fmt: skip
def test_a_note_is_text_only(body: bytes, field: str) -> None:
    with pytest.raises(InvalidRequest, match=rf"^{field}:"):
        note_text(body)


def test_a_request_reference_is_required_and_plain() -> None:
    assert reference({"request": " DSR-2026-0042 "}) == "DSR-2026-0042"
    for bad in ({}, {"request": ""}, {"request": "<script>"}, {"request": "x" * 101}):
        with pytest.raises(InvalidRequest, match=r"^request:"):
            reference(bad)


def test_the_schema_names_every_audited_action() -> None:
    from typing import get_args

    from kairos.console.models import AuditAction
    from kairos.members.audit import ACTIONS

    assert set(get_args(AuditAction)) == set(ACTIONS)
