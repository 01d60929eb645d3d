"""How each event type changes a member (pure: snapshot in, new state out).

The store reads a snapshot, this module decides, the store writes the result in one
transaction; on a concurrent change the store re-reads and asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kairos.clock import iso
from kairos.ingest.browse import apply_browse, complete_checkout
from kairos.ingest.statistics import OrderContribution, add_order, contribution, remove_order
from kairos.models.browse import BROWSE_TYPES
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


def stamp(event: CanonicalEvent) -> str:
    """When an event happened, comparable as text; the id breaks ties so two events at
    the same instant always resolve the same way."""
    return f"{iso(event.time)}|{event.id}"


def _newer(member: Member, path: str, at: str) -> bool:
    """Record `at` as the time of `path` and say so, unless a newer event set it."""
    if member.field_times.get(path, "") > at:
        return False
    member.field_times[path] = at
    return True


def _set(member: Member, key: str, value: Any, at: str) -> None:
    if _newer(member, key, at):
        member.profile[key] = value


def _touch(member: Member, event: CanonicalEvent) -> Member:
    updated = member.model_copy(deep=True)
    for kind, value in event.member.identifiers().items():
        updated.identifiers.setdefault(kind, value)
        updated.profile.setdefault(kind, value)
    when = event.time.isoformat()
    # Earliest and latest by time, not by arrival (LINE and shops redeliver late).
    joined = updated.profile.get("joined_at")
    if joined is None or datetime.fromisoformat(joined) > event.time:
        updated.profile["joined_at"] = when
    last = updated.profile.get("last_interaction_at")
    interaction = event.type not in NOT_INTERACTIONS
    if interaction and (last is None or datetime.fromisoformat(last) < event.time):
        updated.profile["last_interaction_at"] = when
    if updated.created_at is None or event.time < updated.created_at:
        updated.created_at = event.time
    if updated.updated_at is None or event.time > updated.updated_at:
        updated.updated_at = event.time
    updated.version = member.version + 1
    return updated


JOURNEY_ORIGIN = "kairos_origin"
"""Where a journey-made change came from (the loop guard); not a member attribute."""


def _set_attributes(member: Member, data: dict[str, Any], at: str) -> None:
    for key, value in data.items():
        if key == JOURNEY_ORIGIN or value is None:
            continue
        if key == "consent" and isinstance(value, dict):
            consent = dict(member.profile.get("consent", {}))
            for channel, given in value.items():
                if given is not None and _newer(member, f"consent.{channel}", at):
                    consent[channel] = given
            member.profile["consent"] = consent
            continue
        if not _newer(member, key, at):
            continue
        member.profile[key] = value
        if key in ("email", "phone") and value:
            previous = member.identifiers.get(key)
            if previous and previous != value:
                member.link({key: previous})  # its alias may still point here
            member.identifiers[key] = value


def _set_tag(member: Member, tag: str, present: bool, at: str) -> None:
    if _newer(member, f"tag.{tag}", at):
        tags = set(member.tags)
        tags.add(tag) if present else tags.discard(tag)
        member.tags = sorted(tags)


def plan(event: CanonicalEvent, snapshot: Snapshot, zone: ZoneInfo) -> Change:
    """Decide the member's new state after `event`. Every state field carries the stamp
    of the event that set it, so the result never depends on arrival order."""
    base = snapshot.member or Member(member_id=snapshot.member_id, created_at=event.time)
    member = _touch(base, event)
    member.link(snapshot.link)
    change = Change(member=member, timeline_kind=event.type, timeline_data=_event_summary(event))
    if snapshot.conflicts:
        change.timeline_data["identity_conflicts"] = dict(snapshot.conflicts)
    data = event.data
    kind = event.type
    at = stamp(event)
    if kind == "line.follow":
        _set(member, "line_following", True, at)
        if data.get("join_source"):
            _set(member, "join_source", data["join_source"], at)
    elif kind == "line.unfollow":
        _set(member, "line_following", False, at)
    elif kind == "profile.updated":
        _set_attributes(member, data, at)
    elif kind == "tag.added":
        _set_tag(member, data["tag"], True, at)
    elif kind == "tag.removed":
        _set_tag(member, data["tag"], False, at)
    elif kind == "email.bounced" and data.get("bounce_type", "permanent") == "permanent":
        _set(member, "email_status", "bounced", at)  # a soft bounce leaves the address usable
    elif kind == "email.complained":
        _set(member, "email_status", "complained", at)
    elif kind == "unsubscribed":
        channels = CHANNELS if data.get("channel", "all") == "all" else (data["channel"],)
        unsubscribed = dict(member.profile.get("unsubscribed", {}))
        for channel in channels:
            if _newer(member, f"unsubscribed.{channel}", at):
                unsubscribed[channel] = True
        member.profile["unsubscribed"] = unsubscribed
    elif kind == "order.created":
        if data.get("customer_name"):
            _set(member, "name", data["customer_name"], at)
        complete_checkout(member, data, event.time)
        _plan_order(event, snapshot, change, zone)
    elif kind in BROWSE_TYPES:
        # A shop's checkout webhook, or browse events a brand's server sends (/events).
        # What conditions read on the event (`views_24h`) travels with it to the stream.
        event.data.update(apply_browse(member, kind, data, event.time, at))
    elif kind == "order.cancelled":
        _plan_cancel(event, snapshot, change)
    return change


def _plan_order(event: CanonicalEvent, snapshot: Snapshot, change: Change, zone: ZoneInfo) -> None:
    order = contribution(event.data["order_id"], event.time, event.data, zone)
    order.event_id = event.id
    known = snapshot.order
    if known is not None:
        # A cancellation that arrived first left a cancelled placeholder: never counts.
        if known.cancelled:
            change.outcome = "order_already_cancelled"
            return
        # The same order under another event id counts once: as its earliest report,
        # whichever arrived first.
        change.outcome = "order_known"
        if (order.time, order.event_id) >= (known.time, known.event_id):
            return
        change.member.stats = add_order(remove_order(change.member.stats, known), order)
        change.order_put = order
        return
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
        referrer.link(snapshot.referrer_link)
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


def _plan_cancel(event: CanonicalEvent, snapshot: Snapshot, change: Change) -> None:
    order = snapshot.order
    if order is None:
        # Cancelled before its order arrived: remember it, so the late order is not counted.
        change.outcome = "order_unknown"
        change.order_put = OrderContribution(
            order_id=event.data["order_id"],
            time=event.time,
            total=0,
            weekday="",
            cancelled=True,
        )
        return
    if order.cancelled:
        change.outcome = "order_already_cancelled"
        return
    change.member.stats = remove_order(change.member.stats, order)
    change.order_put = order.model_copy(update={"cancelled": True})
