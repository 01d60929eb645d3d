"""Which channel a send goes out on, decided at send time from the member as it is now.

A channel is usable for a member when (SPEC §4):
- the member has its address (`line_user_id`, `email`, `phone`),
- LINE: the member has not blocked or unfollowed (`line_following` is not false; a
  member imported with a LINE id and no follow event yet counts as reachable),
- the member has not unsubscribed from it (`unsubscribed.<channel>`),
- email: the address has not bounced or complained (`email_status`),
- SMS: the number has not opted out (`sms_opted_out`),
- consent for it is not false (`consent.<channel>`; absent means not refused),
- and the template has a body for it.

`auto` tries `channel_priority` in order; a named channel is tried first and then its
`fallback` list. The first usable one is used; none usable → `unreachable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kairos.delivery.model import ChannelName
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template

ADDRESS_FIELD: dict[ChannelName, str] = {"line": "line_user_id", "email": "email", "sms": "phone"}


@dataclass(frozen=True)
class Route:
    usable: list[tuple[ChannelName, str]]
    """(channel, address) in the order to try."""
    refused: dict[str, str] = field(default_factory=dict)
    """channel → why it is not usable (for the `unreachable` reason)."""

    def reason(self) -> str:
        if not self.refused:
            return "no channel requested"
        return "; ".join(f"{c}: {why}" for c, why in self.refused.items())


def candidates(request: SendRequest, settings: Settings) -> list[ChannelName]:
    if request.channel == "auto":
        order: list[ChannelName] = list(settings.channel_priority)
        # An explicit fallback after `auto` extends the priority list.
        order += [c for c in request.fallback if c not in order]
        return order
    ordered: list[ChannelName] = [request.channel]
    ordered += [c for c in request.fallback if c not in ordered]
    return ordered


def address(member: Member, channel: ChannelName) -> str | None:
    name = ADDRESS_FIELD[channel]
    value = member.profile.get(name) or member.identifiers.get(name)
    return str(value) if value else None


def why_unusable(member: Member, channel: ChannelName, template: Template | None) -> str | None:
    """None when usable; otherwise a short reason (ids and flags only, no addresses)."""
    profile: dict[str, Any] = member.profile
    if address(member, channel) is None:
        return f"no {ADDRESS_FIELD[channel]}"
    if channel == "line" and profile.get("line_following") is False:
        return "not following (blocked or unfollowed)"
    if _flag(profile.get("unsubscribed"), channel):
        return "unsubscribed"
    consent = profile.get("consent")
    if isinstance(consent, dict) and consent.get(channel) is False:
        return "no consent"
    if channel == "email" and profile.get("email_status") in ("bounced", "complained"):
        return f"email {profile['email_status']}"
    if channel == "sms" and profile.get("sms_opted_out") is True:
        return "opted out of SMS"
    if template is not None and getattr(template, channel) is None:
        return f"template {template.id} has no {channel} body"
    return None


def _flag(mapping: Any, channel: str) -> bool:
    return isinstance(mapping, dict) and mapping.get(channel) is True


def route(
    request: SendRequest, settings: Settings, member: Member, template: Template | None
) -> Route:
    usable: list[tuple[ChannelName, str]] = []
    refused: dict[str, str] = {}
    for channel in candidates(request, settings):
        why = why_unusable(member, channel, template)
        if why is None:
            addr = address(member, channel)
            assert addr is not None
            usable.append((channel, addr))
        else:
            refused[channel] = why
    return Route(usable, refused)
