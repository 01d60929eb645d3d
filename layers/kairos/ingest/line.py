"""LINE webhook bodies → canonical events, read with Kairos's own lenient models
(kairos.ingest.line_models).

A verified body is applied event by event: LINE redelivers a whole body on any non-2xx,
so one malformed event must not hold back the others. Malformed events, and events
Kairos does not act on (joins, beacons, unsend, group members without a user id, types
LINE adds later), are returned for the webhook to count and log by type — never silently
dropped, never logged with personal data.

Event ids are `line:<webhookEventId>`; payloads without one (older shapes) get
`line:h-<hash of the event>` so a redelivery still dedupes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from kairos.clock import from_epoch_ms
from kairos.ingest.body import load_json, problems, size_problem
from kairos.ingest.errors import InvalidBody, Problem
from kairos.ingest.line_models import (
    FollowEvent,
    LineEvent,
    MessageEvent,
    PostbackEvent,
    UnfollowEvent,
    read_event,
)
from kairos.models.events import CanonicalEvent, MemberRef, is_reply_token


@dataclass
class LineBatch:
    events: list[CanonicalEvent] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    """Event type → how many were well-formed but not acted on."""
    malformed: list[Problem] = field(default_factory=list)


def _canonical(event: LineEvent) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, FollowEvent):
        return "line.follow", {"unblocked": bool(event.follow and event.follow.is_unblocked)}
    if isinstance(event, UnfollowEvent):
        return "line.unfollow", {}
    if isinstance(event, MessageEvent):
        message = event.message
        text = message.text if message.type == "text" and message.text else ""
        return "line.message", {"text": text, "message_type": message.type}
    if isinstance(event, PostbackEvent):
        return "line.postback", {"data": event.postback.data}
    return None


def _usable_token(token: str | None) -> str | None:
    """The event's reply token, if it looks like one: a strange token costs the event a
    free reply (it is pushed), never the event itself."""
    return token if token and is_reply_token(token) else None


def _event_id(event: LineEvent, raw: dict[str, Any]) -> str:
    if event.webhook_event_id:
        return f"line:{event.webhook_event_id}"
    stable = {k: v for k, v in raw.items() if k != "deliveryContext"}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()
    return f"line:h-{digest[:32]}"


def parse_line_webhook(body: bytes) -> LineBatch:
    """Parse a signature-verified LINE webhook body. Raises InvalidBody only when the body
    as a whole is unusable (not JSON, no `events` list)."""
    raw = load_json(body)
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise InvalidBody("events: a LINE webhook body has an `events` list")
    batch = LineBatch()
    for index, item in enumerate(raw["events"]):
        if not isinstance(item, dict):
            batch.malformed.append(Problem(index, "", "not an object"))
            continue
        if (too_big := size_problem(index, item)) is not None:
            batch.malformed.append(too_big)
            continue
        try:
            event = read_event(item)
        except ValidationError as exc:
            batch.malformed.extend(problems(exc, index))
            continue
        mapped = _canonical(event)
        user_id = event.user_id
        if mapped is None or user_id is None:
            batch.ignored[event.type if mapped is None else f"{event.type}:no-user"] += 1
            continue
        event_type, data = mapped
        try:
            member = MemberRef(line_user_id=user_id)
        except ValidationError as exc:
            batch.malformed.extend(Problem(index, "source.userId", p.reason) for p in problems(exc))
            continue
        try:
            batch.events.append(
                CanonicalEvent(
                    id=_event_id(event, item),
                    type=event_type,
                    time=from_epoch_ms(event.timestamp),
                    member=member,
                    data=data,
                    reply_token=_usable_token(event.reply_token),
                )
            )
        except ValidationError as exc:
            batch.malformed.extend(problems(exc, index))
    return batch
