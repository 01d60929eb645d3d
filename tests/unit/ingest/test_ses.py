"""Reading SES's EventBridge events and naming the member they are about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairos.ingest.ses import (
    NotYetRecorded,
    canonical_event,
    event_pattern,
    is_ses_event,
    parse,
)
from kairos.models.member import Member

SENT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def ses_event(detail_type: str, record_name: str, record: dict[str, Any]) -> dict[str, Any]:
    """As SES publishes to EventBridge (the event publishing record in `detail`)."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-03-01T02:00:05Z",
        "region": "ap-northeast-1",
        "resources": ["arn:aws:ses:ap-northeast-1:123456789012:configuration-set/kairos-acme-prod"],
        "detail": {
            "eventType": record_name.capitalize(),
            "mail": {
                "timestamp": "2026-03-01T02:00:00.000Z",
                "source": "hello@acme.example",
                "sendingAccountId": "123456789012",
                "messageId": "0107018e-msg",
                "destination": ["amy@example.com"],
                "headersTruncated": False,
                "tags": {
                    "ses:configuration-set": ["kairos-acme-prod"],
                    "ses:source-ip": ["192.0.2.1"],
                    "delivery_id": ["d-0123abcd"],
                    "journey": ["welcome"],
                    "step": ["greet"],
                },
            },
            record_name: record,
        },
    }


def test_the_rule_matches_this_configuration_set_only() -> None:
    pattern = event_pattern("kairos-acme-prod")
    assert pattern["source"] == ["aws.ses"]
    assert pattern["detail"] == {"mail": {"tags": {"ses:configuration-set": ["kairos-acme-prod"]}}}


def test_an_ses_event_is_told_from_an_api_request() -> None:
    assert is_ses_event(ses_event("Email Delivered", "delivery", {}))
    assert not is_ses_event({"httpMethod": "POST", "path": "/events"})


@pytest.mark.parametrize(
    ("detail_type", "record_name", "record", "kind", "data"),
    [
        ("Email Delivered", "delivery", {"timestamp": "2026-03-01T02:00:03.5Z"},
         "email.delivered", {}),
        ("Email Opened", "open", {"timestamp": "2026-03-01T02:00:03.5Z", "userAgent": "x"},
         "email.opened", {}),
        ("Email Clicked", "click", {"timestamp": "2026-03-01T02:00:03.5Z",
                                    "link": "https://acme.example/sale"},
         "email.clicked", {"url": "https://acme.example/sale"}),
        ("Email Bounced", "bounce", {"timestamp": "2026-03-01T02:00:03.5Z",
                                     "bounceType": "Permanent", "bounceSubType": "General"},
         "email.bounced", {"bounce_type": "permanent", "bounce_subtype": "General"}),
        ("Email Bounced", "bounce", {"timestamp": "2026-03-01T02:00:03.5Z",
                                     "bounceType": "Transient", "bounceSubType": "MailboxFull"},
         "email.bounced", {"bounce_type": "transient", "bounce_subtype": "MailboxFull"}),
        ("Email Complaint Received", "complaint", {"timestamp": "2026-03-01T02:00:03.5Z",
                                                   "complaintFeedbackType": "abuse"},
         "email.complained", {"feedback_type": "abuse"}),
    ],
)  # fmt: skip
def test_each_detail_type_reads_as_its_canonical_event(
    detail_type: str, record_name: str, record: dict[str, Any], kind: str, data: dict[str, Any]
) -> None:
    engagement = parse(ses_event(detail_type, record_name, record))
    assert engagement is not None
    assert engagement.type == kind
    assert engagement.delivery_id == "d-0123abcd"
    assert engagement.configuration_set == "kairos-acme-prod"
    assert engagement.time == datetime(2026, 3, 1, 2, 0, 3, 500000, tzinfo=UTC)
    assert engagement.data == data


def test_other_detail_types_are_not_engagement() -> None:
    assert parse(ses_event("Email Sent", "send", {})) is None


class Deliveries:
    def __init__(self, records: dict[str, dict[str, Any]]) -> None:
        self.records = records

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return self.records.get(delivery_id)


class Members:
    def __init__(self, *members: Member) -> None:
        self.members = {m.member_id: m for m in members}

    def get(self, member_id: str) -> Member | None:
        return self.members.get(member_id)


AMY = Member(member_id="m-amy", identifiers={"email": "amy@example.com", "line_user_id": "U1"})
RECORD = {"member_id": "m-amy", "journey": "welcome", "step": "greet", "status": "sent"}


def test_the_event_lands_on_the_member_of_the_send() -> None:
    engagement = parse(ses_event("Email Opened", "open", {"timestamp": "2026-03-01T03:00:00Z"}))
    assert engagement is not None
    event = canonical_event(engagement, Deliveries({"d-0123abcd": RECORD}), Members(AMY), SENT)
    assert event is not None
    assert event.id == "ses:6a7e8feb-b491-4cf7-a9f1-bf3703467718"  # redeliveries dedupe
    assert event.type == "email.opened"
    assert event.member.identifiers() == {"line_user_id": "U1", "email": "amy@example.com"}
    assert event.data == {
        "delivery_id": "d-0123abcd",
        "journey": "welcome",
        "step": "greet",
        "message_id": "0107018e-msg",
    }


def test_an_email_that_is_not_a_kairos_send_is_skipped() -> None:
    untagged = ses_event("Email Delivered", "delivery", {"timestamp": "2026-03-01T02:00:01Z"})
    del untagged["detail"]["mail"]["tags"]["delivery_id"]
    engagement = parse(untagged)
    assert engagement is not None
    assert canonical_event(engagement, Deliveries({}), Members(AMY), SENT) is None


def test_a_send_recorded_long_ago_and_gone_is_skipped_a_fresh_one_retried() -> None:
    engagement = parse(
        ses_event("Email Delivered", "delivery", {"timestamp": "2026-03-01T02:00:01Z"})
    )
    assert engagement is not None
    # Moments after the send, the sender may still be writing its record: try again.
    with pytest.raises(NotYetRecorded):
        canonical_event(engagement, Deliveries({}), Members(AMY), SENT + timedelta(seconds=5))
    # Long after (the record expired with the timeline), there is nothing to retry for.
    assert (
        canonical_event(engagement, Deliveries({}), Members(AMY), SENT + timedelta(days=1)) is None
    )


def test_engagement_on_an_erased_members_send_is_skipped() -> None:
    engagement = parse(ses_event("Email Opened", "open", {"timestamp": "2026-03-01T03:00:00Z"}))
    assert engagement is not None
    scrubbed = {k: v for k, v in RECORD.items() if k != "member_id"}
    assert (
        canonical_event(engagement, Deliveries({"d-0123abcd": scrubbed}), Members(AMY), SENT)
        is None
    )
