"""The request being served, for the view modules beside the handler: its API Gateway
event, the services the handler put in the resolver's context, its body within the
size limit, its receive time, and applying validated events. Powertools' Router hands
the event and context over from the app that includes it (`handler.app`)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from kairos.clock import from_epoch_ms
from kairos.ingest.errors import BodyTooLarge
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.observability import count
from kairos.wiring.webhook import WebhookServices

router = Router()  # type: ignore[no-untyped-call]


def event() -> APIGatewayProxyEvent:
    """This request's event (a REST API proxy event: the handler's resolver is REST's)."""
    return cast(APIGatewayProxyEvent, router.current_event)


def services() -> WebhookServices:
    """This request's services (put in the resolver's context by `handler.handle`)."""
    found: WebhookServices = router.context["services"]
    return found


def now() -> datetime:
    """When API Gateway received the request: "now" for everything it changes."""
    received: datetime = from_epoch_ms(event().request_context.request_time_epoch)
    return received


def raw_body() -> bytes:
    found = event()
    # Decode base64 ourselves: Powertools' decoded_body assumes UTF-8, and a non-UTF-8
    # body must reach the parser as bytes to get its 400, not a crash.
    raw = (
        base64.b64decode(found.body or "")
        if found.is_base64_encoded
        else (found.body or "").encode()
    )
    limit = services().config.max_body_bytes
    if len(raw) > limit:
        raise BodyTooLarge(f"body is {len(raw)} bytes, the limit is {limit}")
    return raw


def apply(events: list[CanonicalEvent], namespace: str = "") -> dict[str, Any]:
    """Apply validated events; `namespace` prefixes dedupe keys ("" when the parser
    already namespaced the ids: `line:`, `shopify:`, `shop:`)."""
    wired = services()
    results = ingest(
        events,
        wired.members,
        now(),
        wired.settings.zone,
        namespace,
        member_id_key=wired.member_id_key(),
    )
    count("EventsReceived", len(events))
    duplicates = sum(1 for r in results if r.status == "duplicate")
    # Events naming an erased member's identifiers, without a new consent: dropped.
    erased = sum(1 for r in results if r.status == "erased")
    answer: dict[str, Any] = {
        "received": len(events),
        "applied": len(results) - duplicates - erased,
        "duplicates": duplicates,
        "members": [r.member_id for r in results if r.status != "erased"],
    }
    if erased:
        answer["erased"] = erased
    return answer
