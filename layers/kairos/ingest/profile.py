"""How each event type changes a member (pure: snapshot in, new state out).

The store reads a snapshot, this module decides, the store writes the result in one
transaction; on a concurrent change the store re-reads and asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kairos.ingest.statistics import OrderContribution, add_order, contribution, remove_order
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member

CHANNELS = ("line", "email", "sms")
# Reported by the mail system, not done by the member.
NOT_INTERACTIONS = frozenset({"email.delivered", "email.bounced", "email.complained"})


@dataclass(frozen=True)
class Snapshot:
    member_id: str
    member: Member | None
    link: dict[str, str]
    conflicts: dict[str, str]
    order: OrderContribution | None = None
    """The stored contribution of the order this event names, if any."""
    referrer_id: str | None = None
    referrer: Member | None = None
    referrer_link: dict[str, str] = field(default_factory=dict)


@dataclass
class Change:
    member: Member
    timeline_kind: str
    timeline_data: dict[str, Any]
    order_put: OrderContribution | None = None
    referrer: Member | None = None
    referrer_event: dict[str, Any] | None = None
    outcome: str = "applied"
    """`applied`, or why the event changed nothing but the timeline (`order_known`,
    `order_unknown`, `order_already_cancelled`)."""


def _event_summary(event: CanonicalEvent) -> dict[str, Any]:
    """Timeline data: the event's own data minus bulky or free-text parts."""
    summary = {k: v for k, v in event.data.items() if k not in ("items", "customer_name")}
    if "items" in event.data:
        summary["skus"] = [item["sku"] for item in event.data["items"]]
    return summary


def _touch(member: Member, event: CanonicalEvent) -> Member:
    updated = member.model_copy(deep=True)
    for kind, value in event.member.identifiers().items():
        updated.identifiers.setdefault(kind, value)
        updated.profile.setdefault(kind, value)
    if event.type not in NOT_INTERACTIONS:
        updated.profile["last_interaction_at"] = event.time.isoformat()
    updated.profile.setdefault("joined_at", event.time.isoformat())
    updated.version = member.version + 1
    updated.updated_at = event.time
    return updated


JOURNEY_ORIGIN = "kairos_origin"
"""Where a journey-made change came from (the loop guard); not a member attribute."""


def _set_attributes(member: Member, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == JOURNEY_ORIGIN:
            continue
        if key == "consent" and isinstance(value, dict):
            consent = dict(member.profile.get("consent", {}))
            consent.update({k: v for k, v in value.items() if v is not None})
            member.profile["consent"] = consent
        elif value is not None:
            member.profile[key] = value
        if key in ("email", "phone") and value:
            member.identifiers[key] = value


def plan(event: CanonicalEvent, snapshot: Snapshot, zone: ZoneInfo) -> Change:
    """Decide the member's new state after `event`."""
    base = snapshot.member or Member(member_id=snapshot.member_id, created_at=event.time)
    member = _touch(base, event)
    change = Change(member=member, timeline_kind=event.type, timeline_data=_event_summary(event))
    if snapshot.conflicts:
        change.timeline_data["identity_conflicts"] = dict(snapshot.conflicts)
    data = event.data
    kind = event.type
    if kind == "line.follow":
        member.profile["line_following"] = True
        if data.get("join_source"):
            member.profile.setdefault("join_source", data["join_source"])
    elif kind == "line.unfollow":
        member.profile["line_following"] = False
    elif kind == "profile.updated":
        _set_attributes(member, data)
    elif kind == "tag.added":
        if data["tag"] not in member.tags:
            member.tags = sorted([*member.tags, data["tag"]])
    elif kind == "tag.removed":
        member.tags = [t for t in member.tags if t != data["tag"]]
    elif kind == "email.bounced" and data.get("bounce_type", "permanent") == "permanent":
        member.profile["email_status"] = "bounced"  # a soft bounce leaves the address usable
    elif kind == "email.complained":
        member.profile["email_status"] = "complained"
    elif kind == "unsubscribed":
        channels = CHANNELS if data.get("channel", "all") == "all" else (data["channel"],)
        unsubscribed = dict(member.profile.get("unsubscribed", {}))
        unsubscribed.update(dict.fromkeys(channels, True))
        member.profile["unsubscribed"] = unsubscribed
    elif kind == "order.created":
        _plan_order(event, snapshot, change, zone)
    elif kind == "order.cancelled":
        _plan_cancel(snapshot, change)
    return change


def _plan_order(event: CanonicalEvent, snapshot: Snapshot, change: Change, zone: ZoneInfo) -> None:
    if snapshot.order is not None:
        # The same order under another event id: count it once.
        change.outcome = "order_known"
        return
    order = contribution(event.data["order_id"], event.time, event.data, zone)
    change.member.stats = add_order(change.member.stats, order)
    change.order_put = order
    if snapshot.referrer_id and snapshot.referrer_id != snapshot.member_id:
        if "referred_by" in change.member.profile:
            return  # a member is credited to one referrer, once
        change.member.profile["referred_by"] = snapshot.referrer_id
        referrer = snapshot.referrer or Member(
            member_id=snapshot.referrer_id, created_at=event.time
        )
        referrer = referrer.model_copy(deep=True)
        for k, v in snapshot.referrer_link.items():
            referrer.identifiers.setdefault(k, v)
            referrer.profile.setdefault(k, v)
        referrer.stats.referrals += 1
        referrer.version += 1
        referrer.updated_at = event.time
        change.referrer = referrer
        change.referrer_event = {
            "id": f"{event.id}:referral",
            "type": "referral.credited",
            "time": event.time.isoformat(),
            "member": dict(referrer.identifiers),
            "data": {"referred_member_id": snapshot.member_id, "order_id": order.order_id},
        }


def _plan_cancel(snapshot: Snapshot, change: Change) -> None:
    order = snapshot.order
    if order is None:
        change.outcome = "order_unknown"
        return
    if order.cancelled:
        change.outcome = "order_already_cancelled"
        return
    change.member.stats = remove_order(change.member.stats, order)
    change.order_put = order.model_copy(update={"cancelled": True})
