"""The website's routes (kairos.ingest.routes, family `collect_*`): `POST /collect` (the
snippet's browse events), its CORS preflight, and `GET /collect/kairos.js` (the snippet).

Each view takes the WebRequest the handler built and answers with CORS headers for the
brand's listed origins only (`Vary: Origin`): a wrong key or origin is 403, a refused
proof 401, a bad body 400 naming the field, a bot's request 202 and counted, nothing
written in any of these.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from aws_lambda_powertools.event_handler import Response, content_types

from kairos.collect import snippet
from kairos.collect.visits import Deps, Keys, collect
from kairos.ingest.collect import Site, allowed_origin, is_bot, parse_collect, sites_from_json
from kairos.ingest.errors import IngestError
from kairos.ingest.liff import HttpLiffVerifier
from kairos.ingest.proofs import BadProof, site_token
from kairos.observability import count, logger
from kairos.store.visitors import VisitorStore
from kairos.wiring.webhook import WebhookServices


@dataclass(frozen=True)
class WebRequest:
    services: WebhookServices
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    now: datetime


@cache
def _sites(text: str) -> dict[str, Site]:
    found: dict[str, Site] = sites_from_json(text)
    return found


def sites(services: WebhookServices) -> dict[str, Site]:
    return _sites(services.config.collect_sites)


def _cors(origin: str | None, allowed: bool) -> dict[str, str]:
    headers = {"Vary": "Origin", "Cache-Control": "no-store"}
    if allowed and origin:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def _json(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers,
    )


def deps(services: WebhookServices) -> Deps:
    config = services.config
    return Deps(
        visitors=VisitorStore(
            config.table, services.members.client, timeline_ttl_days=config.timeline_ttl_days
        ),
        owners=services.members,
        merges=services.erasure,
        keys=Keys(
            member_id_key=services.member_id_key(),
            tracking_key=services.tracking_key,
            identify_key=lambda: services.secrets.webhook(config.webhook_secret_name)["hmac_key"],
            liff=HttpLiffVerifier(config.line_api_endpoint),
            liff_channel_id=config.liff_channel_id,
        ),
        segment_ids=services.segment_ids,
    )


def collect_events(req: WebRequest) -> Response[str]:
    origin = req.headers.get("origin")
    known = sites(req.services)
    headers = _cors(origin, allowed_origin(known, origin))
    if is_bot(req.headers.get("user-agent")):
        count("CollectBotRequests", 1)
        return _json(202, {"dropped": "bot"}, headers)
    try:
        batch = parse_collect(req.body, req.now)
    except IngestError as exc:
        count("CollectRefused", 1)
        return _json(exc.status, {"error": str(exc)}, headers)
    if batch.key not in known:
        count("CollectRefused", 1)
        return _json(403, {"error": "key: not a publishable key of this brand"}, headers)
    if not allowed_origin(known, origin, batch.key):
        count("CollectRefused", 1)
        return _json(403, {"error": "origin: not listed for this key"}, headers)
    try:
        result = collect(batch, deps(req.services), req.now)
    except BadProof as exc:
        count("CollectProofsRefused", 1)
        logger.info("collect proof refused", extra={"reason": str(exc)})
        return _json(401, {"error": str(exc)}, headers)
    count("CollectEventsApplied", result.applied)
    for reason, n in result.dropped.items():
        count("CollectEventsDropped", n)
        logger.info("collect events dropped", extra={"reason": reason, "count": n})
    return _json(200, result.as_json(), headers)


def collect_preflight(req: WebRequest) -> Response[str]:
    origin = req.headers.get("origin")
    allowed = allowed_origin(sites(req.services), origin)
    headers = _cors(origin, allowed)
    if not allowed:
        return Response(status_code=403, content_type="text/plain", body="", headers=headers)
    headers.update(
        {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        }
    )
    return Response(status_code=204, content_type="text/plain", body="", headers=headers)


def collect_snippet(req: WebRequest) -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/javascript; charset=utf-8",
        body=snippet(),
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


def landing(services: WebhookServices, url: str, member_id: str, now: datetime) -> str:
    """Where a tracked link sends its member: on one of the brand's sites, with a
    single-use identity token (`kairos_id`) the snippet redeems; anywhere else as is."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if not allowed_origin(sites(services), origin):
        return url
    token = site_token(services.tracking_key(), member_id, now)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"kairos_id": token})))


VIEWS: dict[str, Callable[[WebRequest], Response[str]]] = {
    "collect_events": collect_events,
    "collect_preflight": collect_preflight,
    "collect_snippet": collect_snippet,
}
