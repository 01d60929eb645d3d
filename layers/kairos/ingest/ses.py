"""Amazon SES engagement events → canonical `email.*` events on the member who got the
email.

SES publishes the configuration set's events to the account's default EventBridge bus;
a rule built from `event_pattern` (this stack's configuration set only: other stages
in the account share the bus) invokes the webhook function, which hands them here. The
sender tags every email with its `delivery_id`; the delivery record it writes
(`DELIVERY#<id>`) names the member, so an event maps back to exactly one member and one
send, and the evaluator marks that send delivered, opened, clicked or bounced.

| SES detail-type          | canonical event    | effect on the member                     |
|--------------------------|--------------------|------------------------------------------|
| Email Delivered          | `email.delivered`  | timeline                                 |
| Email Opened             | `email.opened`     | `steps.<id>.opened`, `wait_for`          |
| Email Clicked            | `email.clicked`    | `steps.<id>.clicked`, `wait_for`         |
| Email Bounced            | `email.bounced`    | hard bounce: `email_status: bounced`     |
| Email Complaint Received | `email.complained` | `email_status: complained`               |

A soft (transient) bounce is an `email.bounced` with `bounce_type: transient`: that send
was not delivered, but the address stays usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kairos.models.events import CanonicalEvent, MemberRef
from kairos.models.member import Member

SOURCE = "aws.ses"
CONFIGURATION_SET_TAG = "ses:configuration-set"
DELIVERY_TAG = "delivery_id"

DETAIL_TYPES: Mapping[str, str] = {
    "Email Delivered": "email.delivered",
    "Email Opened": "email.opened",
    "Email Clicked": "email.clicked",
    "Email Bounced": "email.bounced",
    "Email Complaint Received": "email.complained",
}
"""SES's EventBridge detail-type → canonical event type (the rule matches these only)."""

RECORD_PATIENCE = timedelta(minutes=10)
"""The sender writes its delivery records right after its batch: an event about a send
this recent without a record is retried (the function fails, Lambda retries it)."""


class NotYetRecorded(LookupError):
    """The send's delivery record is not written yet; try again in a minute."""


# The part of each detail-type's record that carries its own time and facts.
_RECORDS = {
    "email.delivered": "delivery",
    "email.opened": "open",
    "email.clicked": "click",
    "email.bounced": "bounce",
    "email.complained": "complaint",
}


def event_pattern(configuration_set: str) -> dict[str, Any]:
    """The EventBridge rule's pattern: this configuration set's engagement events."""
    return {
        "source": [SOURCE],
        "detail-type": list(DETAIL_TYPES),
        "detail": {"mail": {"tags": {CONFIGURATION_SET_TAG: [configuration_set]}}},
    }


def is_ses_event(event: Mapping[str, Any]) -> bool:
    """An EventBridge event from SES (as opposed to an API Gateway request)."""
    return event.get("source") == SOURCE and "detail-type" in event


class _Mail(BaseModel):
    model_config = ConfigDict(extra="ignore")
    messageId: str
    timestamp: AwareDatetime | None = None
    tags: dict[str, list[str]] = Field(default_factory=dict)


class _Detail(BaseModel):
    model_config = ConfigDict(extra="allow")
    mail: _Mail


class _EventBridgeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    detail_type: str = Field(alias="detail-type")
    time: AwareDatetime
    detail: _Detail


class Engagement(BaseModel):
    """One SES event, read: which send it is about and what happened."""

    event_id: str
    type: str
    time: datetime
    delivery_id: str | None
    message_id: str
    configuration_set: str | None
    data: dict[str, Any]


def parse(event: Mapping[str, Any]) -> Engagement | None:
    """The engagement an SES EventBridge event reports, or None for other detail-types."""
    parsed = _EventBridgeEvent.model_validate(event)
    kind = DETAIL_TYPES.get(parsed.detail_type)
    if kind is None:
        return None
    record: dict[str, Any] = (parsed.detail.model_extra or {}).get(_RECORDS[kind]) or {}
    data: dict[str, Any] = {}
    if kind == "email.bounced":
        data["bounce_type"] = str(record.get("bounceType", "Undetermined")).lower()
        if record.get("bounceSubType"):
            data["bounce_subtype"] = str(record["bounceSubType"])
    elif kind == "email.clicked" and record.get("link"):
        data["url"] = str(record["link"])
    elif kind == "email.complained" and record.get("complaintFeedbackType"):
        data["feedback_type"] = str(record["complaintFeedbackType"])
    tags = parsed.detail.mail.tags
    stamp = record.get("timestamp")
    return Engagement(
        event_id=parsed.id,
        type=kind,
        time=datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else parsed.time,
        delivery_id=_first(tags.get(DELIVERY_TAG)),
        message_id=parsed.detail.mail.messageId,
        configuration_set=_first(tags.get(CONFIGURATION_SET_TAG)),
        data=data,
    )


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


class Deliveries(Protocol):
    def delivery(self, delivery_id: str) -> dict[str, Any] | None: ...


class Members(Protocol):
    def get(self, member_id: str) -> Member | None: ...


def canonical_event(
    engagement: Engagement, deliveries: Deliveries, members: Members, now: datetime
) -> CanonicalEvent | None:
    """The member event for this engagement, or None when no Kairos send matches it
    (an email without our tag, or a delivery record already expired). Raises
    NotYetRecorded for a send made moments ago whose record is still being written."""
    if not engagement.delivery_id:
        return None
    record = deliveries.delivery(engagement.delivery_id)
    if record is None:
        if now - engagement.time < RECORD_PATIENCE:
            raise NotYetRecorded(engagement.delivery_id)
        return None
    # An erased member's delivery record keeps no member id (kairos.members.erase).
    member = members.get(str(record["member_id"])) if record.get("member_id") else None
    if member is None or not member.identifiers:
        return None
    return CanonicalEvent(
        # EventBridge redelivers an event with the same id: applied once.
        id=f"ses:{engagement.event_id}",
        type=engagement.type,
        time=engagement.time,
        member=MemberRef.model_validate(member.identifiers),
        data={
            "delivery_id": engagement.delivery_id,
            "journey": record.get("journey"),
            "step": record.get("step"),
            "message_id": engagement.message_id,
            **engagement.data,
        },
    )
