"""One member's page: profile, identifiers, tags, statistics with the derived RFM and
lifecycle (at the request's time, in the brand's zone), whether each channel can reach
them and why, notes with their authors, their journeys, and the first page of history.

Reads: GetItem of the profile; the member's newest notes (their timeline filtered on
`member.note_added`, at most `NOTES_SHOWN`, bounded reads: kairos.store.history); Query
of their enrolments (`ENROL#`); one history page (kairos.console.history). Nothing
reads another member's items, nor the whole of a long history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from kairos.console.history import history_page
from kairos.console.models import (
    CurrentEnrolment,
    EmailReachability,
    How,
    Journeys,
    LineReachability,
    MemberDetail,
    MemberPage,
    MemberStats,
    Note,
    PastEnrolment,
    Reachability,
    Rfm,
    SmsReachability,
)
from kairos.engine.derived import member_context
from kairos.engine.enrolment import Enrolment
from kairos.members.service import NOTE
from kairos.models.member import Member
from kairos.models.settings import Settings
from kairos.store.history import HistoryReads, KindFilter

NOTES_SHOWN = 50
_ENDED: dict[str, How] = {"completed": "completed", "exited": "exited"}


class PageReads(Protocol):
    def get(self, member_id: str) -> Member | None: ...


class EnrolmentReads(Protocol):
    def enrolments(self, member_id: str) -> list[Enrolment]: ...


def _flag(profile: dict[str, Any], key: str, channel: str) -> bool:
    value = profile.get(key)
    return isinstance(value, dict) and value.get(channel) is True


def _refused(profile: dict[str, Any], channel: str) -> bool:
    consent = profile.get("consent")
    return isinstance(consent, dict) and consent.get(channel) is False


def _has(member: Member, name: str) -> bool:
    return bool(member.profile.get(name) or member.identifiers.get(name))


def reachability(member: Member) -> Reachability:
    """The sender's rules (kairos.delivery.routing), channel by channel, as staff read
    them: the first reason that stops a message is the one shown."""
    p = member.profile
    if not _has(member, "line_user_id"):
        line = LineReachability(status="none", reason="no LINE user id")
    elif p.get("line_following") is False:
        line = LineReachability(status="blocked", reason="blocked or unfollowed the account")
    elif _flag(p, "unsubscribed", "line") or _refused(p, "line"):
        line = LineReachability(status="blocked", reason="unsubscribed or no consent for LINE")
    elif p.get("line_following") is True:
        line = LineReachability(status="following", reason="follows the account")
    else:
        line = LineReachability(status="unknown", reason="no follow event yet (imported)")
    if not _has(member, "email"):
        email = EmailReachability(status="none", reason="no email address")
    elif _flag(p, "unsubscribed", "email"):
        email = EmailReachability(status="unsubscribed", reason="unsubscribed from email")
    elif _refused(p, "email"):
        email = EmailReachability(status="no_consent", reason="no consent for email")
    elif p.get("email_status") == "bounced":
        email = EmailReachability(status="bounced", reason="the address bounced")
    elif p.get("email_status") == "complained":
        email = EmailReachability(status="complained", reason="marked a message as spam")
    else:
        email = EmailReachability(status="ok", reason="can be emailed")
    if not _has(member, "phone"):
        sms = SmsReachability(status="none", reason="no phone number")
    elif _flag(p, "unsubscribed", "sms"):
        sms = SmsReachability(status="unsubscribed", reason="unsubscribed from SMS")
    elif _refused(p, "sms"):
        sms = SmsReachability(status="no_consent", reason="no consent for SMS")
    elif p.get("sms_opted_out") is True:
        sms = SmsReachability(status="opted_out", reason="opted out of SMS")
    else:
        sms = SmsReachability(status="ok", reason="can be texted")
    return Reachability(line=line, email=email, sms=sms)


def member_stats(member: Member, settings: Settings, now: datetime) -> MemberStats:
    stats = member_context(member, settings, now)["stats"]
    return MemberStats(
        order_count=stats["order_count"],
        total_spent=stats["total_spent"],
        avg_order_value=stats["avg_order_value"],
        first_order_at=stats["first_order_at"],
        last_order_at=stats["last_order_at"],
        days_since_last_order=stats["days_since_last_order"],
        favorite_sku=stats["favorite_sku"],
        favorite_category=stats["favorite_category"],
        referrals=stats["referrals"],
        rfm=Rfm.model_validate(stats["rfm"]),
        lifecycle=stats["lifecycle"],
    )


def journeys(enrolments: list[Enrolment]) -> Journeys:
    """Live enrolments (newest first) with where they wait; ended ones with how."""
    current: list[CurrentEnrolment] = []
    past: list[PastEnrolment] = []
    for e in sorted(enrolments, key=lambda e: e.entered_at, reverse=True):
        if e.ended:
            how: How = "converted" if e.converted else _ENDED[e.state]
            ended = PastEnrolment(
                journey=e.journey, enrolment_id=e.id, entered_at=e.entered_at,
                ended_at=e.ended_at, how=how, reason=e.exit_reason, version=e.journey_version,
            )  # fmt: skip
            past.append(ended)
        else:
            live = CurrentEnrolment(
                journey=e.journey, enrolment_id=e.id, step=e.step, waiting_until=e.wait_until,
                waiting_for=e.waiting_for.event if e.waiting_for else None,
                entered_at=e.entered_at, version=e.journey_version,
            )  # fmt: skip
            current.append(live)
    return Journeys(current=current, past=past)


def notes(history: HistoryReads, member_id: str) -> list[Note]:
    """The newest notes, read as a filtered history page (bounded: a member with a long
    history and few notes is not read to its end; older notes are in `kind=staff`)."""
    found, _ = history.page(member_id, NOTES_SHOWN, None, KindFilter(kinds=(NOTE,)))
    return [
        Note(
            time=n["time"],
            author=str(n["data"].get("author") or n["data"].get("by") or "unknown"),
            text=str(n["data"].get("text", "")),
        )
        for n in found
    ]


def detail(member: Member, settings: Settings, now: datetime) -> MemberDetail:
    profile = {k: v for k, v in member.profile.items()}
    return MemberDetail(
        member_id=member.member_id,
        profile=profile,
        identifiers=dict(member.identifiers),
        tags=list(member.tags),
        stats=member_stats(member, settings, now),
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def member_page(
    store: PageReads,
    enrolments: EnrolmentReads,
    history: HistoryReads,
    settings: Settings,
    member_id: str,
    now: datetime,
) -> MemberPage | None:
    """The page, or None when there is no such member."""
    member = store.get(member_id)
    if member is None:
        return None
    return MemberPage(
        member=detail(member, settings, now),
        reachability=reachability(member),
        notes=notes(history, member_id),
        journeys=journeys(enrolments.enrolments(member_id)),
        history=history_page(history, member_id, {}),
    )
