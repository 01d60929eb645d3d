"""`POST /collect`: a website's browse events, checked before anything is read or written.

The snippet (kairos/collect/kairos.js) sends one JSON body as `text/plain` (a beacon
cannot send JSON's content type without a preflight):

    {"key": "pk_…", "visitor": "<anonymous id>", "session": "<session id>",
     "sentAt": "<browser time>", "identity": {…proof…}?,
     "events": [{"id": "…", "type": "product.viewed", "time": "…", "data": {…}}]}

What is refused (400 naming the field, nothing written): another type than the browse
types, an identifier anywhere (`email`, `phone`, `line_user_id`, `external_id`, …: a
browser never says who it is), more than MAX_EVENTS events, an event over
MAX_EVENT_BYTES, a body over MAX_BODY_BYTES (413), nesting deeper than MAX_DEPTH. What is
dropped and counted, the rest applied: events whose corrected time is more than a day
ahead or a week old. The browser's clock is corrected by `sentAt` against the receive
time, so a wrong device clock shifts nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kairos.ingest.body import depth, load_json, problems
from kairos.ingest.errors import BodyTooLarge, InvalidBody, Problem
from kairos.models.browse import BROWSE_MODELS, BROWSE_TYPES, identity_field
from kairos.models.events import IsoTime

MAX_BODY_BYTES = 500 * 1024
MAX_EVENTS = 100
MAX_EVENT_BYTES = 32 * 1024
MAX_DEPTH = 8
FUTURE = timedelta(days=1)
PAST = timedelta(days=7)

_ID = r"^[A-Za-z0-9_.:-]+$"
BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrape|headlesschrome|phantomjs|facebookexternalhit|"
    r"embedly|quora link preview|pinterest|whatsapp|preview|lighthouse|pagespeed|"
    r"curl/|wget/|python-requests|python-urllib|go-http-client|okhttp|java/|libwww|httpclient",
    re.IGNORECASE,
)
"""Common bots, crawlers, link previews and scripts (matched in the User-Agent)."""


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(BOTS.search(user_agent))


class RawEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=_ID)
    type: str
    time: IsoTime
    data: dict[str, Any] = Field(default_factory=dict)


class RawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    key: str = Field(min_length=1, max_length=128)
    visitor: str = Field(min_length=8, max_length=64, pattern=_ID)
    session: str = Field(min_length=8, max_length=64, pattern=_ID)
    sent_at: IsoTime = Field(alias="sentAt")
    identity: dict[str, str] | None = None
    events: list[dict[str, Any]] = Field(max_length=MAX_EVENTS)


@dataclass(frozen=True)
class BrowseEvent:
    id: str
    type: str
    time: datetime
    """The browser's time corrected to the receiver's clock."""
    data: dict[str, Any]


@dataclass
class CollectBatch:
    key: str
    visitor: str
    session: str
    events: list[BrowseEvent]
    identity: dict[str, str] | None = None
    dropped: Counter[str] = field(default_factory=Counter)
    """Events not applied, by reason (`too_old`, `future`)."""


def _event(index: int, raw: Any, offset: timedelta) -> BrowseEvent:
    if not isinstance(raw, dict):
        raise InvalidBody.of([Problem(index, "", "an event is a JSON object")])
    size = len(json.dumps(raw, ensure_ascii=False).encode())
    if size > MAX_EVENT_BYTES:
        raise InvalidBody.of(
            [Problem(index, "", f"event is {size} bytes, the limit is {MAX_EVENT_BYTES}")]
        )
    if (found := identity_field(raw, "event")) is not None:
        raise InvalidBody.of(
            [Problem(index, found.removeprefix("event."), "a browser cannot say who it is; "
                     "identity comes from a proof (docs/tracking.md)")]
        )  # fmt: skip
    try:
        event = RawEvent.model_validate(raw)
    except ValidationError as exc:
        raise InvalidBody.of(problems(exc, index)) from None
    model = BROWSE_MODELS.get(event.type)
    if model is None:
        raise InvalidBody.of(
            [Problem(index, "type", f"{event.type!r} is not taken here: {', '.join(BROWSE_TYPES)}")]
        )
    try:
        data = model.model_validate(event.data).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise InvalidBody.of(problems(exc, index, prefix="data.")) from None
    return BrowseEvent(event.id, event.type, event.time + offset, data)


def parse_collect(body: bytes, received: datetime) -> CollectBatch:
    """The request's events, clock-corrected; InvalidBody/BodyTooLarge when refused."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"body is {len(body)} bytes, the limit is {MAX_BODY_BYTES}")
    raw = load_json(body)
    if depth(raw) > MAX_DEPTH:
        raise InvalidBody(f"body: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(raw, dict):
        raise InvalidBody("body: a JSON object with key, visitor, session, sentAt, events")
    if isinstance(raw.get("events"), list) and len(raw["events"]) > MAX_EVENTS:
        raise InvalidBody(f"events: {len(raw['events'])} events, at most {MAX_EVENTS} a request")
    outside = {k: v for k, v in raw.items() if k not in ("identity",)}
    if (found := identity_field(outside, "body")) is not None:
        raise InvalidBody(f"{found.removeprefix('body.')}: a browser cannot say who it is; "
                          "identity comes from a proof (docs/tracking.md)")  # fmt: skip
    try:
        request = RawRequest.model_validate(raw)
    except ValidationError as exc:
        raise InvalidBody.of(problems(exc)) from None
    offset = received - request.sent_at
    batch = CollectBatch(request.key, request.visitor, request.session, [], request.identity)
    seen: set[str] = set()
    for index, item in enumerate(request.events):
        event = _event(index, item, offset)
        if event.time > received + FUTURE:
            batch.dropped["future"] += 1
        elif event.time < received - PAST:
            batch.dropped["too_old"] += 1
        elif event.id in seen:
            batch.dropped["repeated"] += 1
        else:
            seen.add(event.id)
            batch.events.append(event)
    return batch


@dataclass(frozen=True)
class Site:
    """A website allowed to send: its publishable key and the origins it serves from."""

    key: str
    origins: tuple[str, ...]


def sites_from_json(text: str) -> dict[str, Site]:
    """`KAIROS_COLLECT_SITES`: `[{"key": "pk_…", "origins": ["https://shop.example"]}]`;
    several keys may list the same origins (a rotation: old and new valid at once)."""
    found: dict[str, Site] = {}
    for entry in json.loads(text or "[]"):
        origins = tuple(str(o).rstrip("/") for o in entry.get("origins", []))
        found[str(entry["key"])] = Site(str(entry["key"]), origins)
    return found


def allowed_origin(sites: dict[str, Site], origin: str | None, key: str | None = None) -> bool:
    """Is `origin` listed (for `key`, when given)?"""
    if not origin:
        return False
    if key is not None:
        site = sites.get(key)
        return site is not None and origin.rstrip("/") in site.origins
    return any(origin.rstrip("/") in site.origins for site in sites.values())
