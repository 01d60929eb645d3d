"""LINE webhook bodies → canonical events (parsed with line-bot-sdk v3).

Event ids are LINE's `webhookEventId`, so a redelivered webhook (same id) is a
duplicate. Events Kairos has no use for (joins, beacons, unsend, ...) and events
without a user id (a group member who has not consented) are acknowledged and skipped.
"""

from __future__ import annotations

import json
from typing import Any

from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)
from pydantic import ValidationError

from kairos.clock import from_epoch_ms
from kairos.ingest.errors import InvalidBody
from kairos.models.events import CanonicalEvent, MemberRef


def _user_id(event: Any) -> str | None:
    source = getattr(event, "source", None)
    return getattr(source, "user_id", None) if source is not None else None


def _canonical(event: Any) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, FollowEvent):
        detail = getattr(event, "follow", None)
        return "line.follow", {"unblocked": bool(getattr(detail, "is_unblocked", False))}
    if isinstance(event, UnfollowEvent):
        return "line.unfollow", {}
    if isinstance(event, MessageEvent):
        message = event.message
        if isinstance(message, TextMessageContent):
            return "line.message", {"text": message.text, "message_type": "text"}
        return "line.message", {"text": "", "message_type": getattr(message, "type", "other")}
    if isinstance(event, PostbackEvent):
        return "line.postback", {"data": event.postback.data}
    return None


def parse_line_webhook(body: bytes) -> list[CanonicalEvent]:
    """Parse a signature-verified LINE webhook body."""
    try:
        text = body.decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidBody(f"body is not UTF-8 JSON: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise InvalidBody("events: a LINE webhook body has an `events` list")
    for index, item in enumerate(raw["events"]):
        if not isinstance(item, dict):
            raise InvalidBody(f"events[{index}]: not an object")
        for field in ("type", "timestamp", "webhookEventId"):
            if field not in item:
                raise InvalidBody(f"events[{index}].{field}: missing")
    parser = WebhookParser("unused", skip_signature_verification=lambda: True)
    try:
        payload = parser.parse(text, "", as_payload=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidBody(f"events: {exc}") from None
    events: list[CanonicalEvent] = []
    for index, (event, item) in enumerate(zip(payload.events, raw["events"], strict=True)):
        mapped = _canonical(event)
        user_id = _user_id(event)
        if mapped is None or user_id is None:
            continue
        event_type, data = mapped
        try:
            events.append(
                CanonicalEvent(
                    id=f"line-{item['webhookEventId']}",
                    type=event_type,
                    time=from_epoch_ms(int(item["timestamp"])),
                    member=MemberRef(line_user_id=user_id),
                    data=data,
                )
            )
        except (ValidationError, ValueError) as exc:
            raise InvalidBody(f"events[{index}]: {exc}") from None
    return events
