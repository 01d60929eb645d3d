"""Webhook function: API Gateway → verify → canonical events → members in DynamoDB.

Routes (SPEC §1) come from `kairos.ingest.routes`, the list the API is built from too:
POST /line/webhook, /shop/orders, /events; GET /t/{token}; GET|POST /u/{token}. It never
decides what to send; the table's stream takes it from here.

A second entry path takes SES engagement events (the configuration set publishes them
to EventBridge; a rule invokes this function): `kairos.ingest.ses` maps each to the
member by the email's `delivery_id` tag, and it is applied like any other event.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.clock import from_epoch_ms
from kairos.config import RuntimeConfig, brand_settings
from kairos.delivery.tracking import BadToken, Link, read_token
from kairos.ingest import line, routes, ses, shop, signatures
from kairos.ingest.errors import BodyTooLarge, IngestError
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent, MemberRef
from kairos.observability import logger, metrics, tracer
from kairos.secrets import line_secrets, webhook_secrets
from kairos.store.deliveries import DeliveryStore
from kairos.store.members import ConcurrentUpdateError, MemberRepository

app = APIGatewayRestResolver()
config = RuntimeConfig.from_env()
_store: MemberRepository | None = None


def store() -> MemberRepository:
    global _store
    if _store is None:
        _store = MemberRepository(
            config.table,
            event_ttl_days=config.event_ttl_days,
            timeline_ttl_days=config.timeline_ttl_days,
        )
    return _store


def raw_body() -> bytes:
    event = app.current_event
    # Decode base64 ourselves: Powertools' decoded_body assumes UTF-8, and a non-UTF-8
    # body must reach the parser as bytes to get its 400, not a crash.
    raw = (
        base64.b64decode(event.body or "")
        if event.is_base64_encoded
        else (event.body or "").encode()
    )
    if len(raw) > config.max_body_bytes:
        raise BodyTooLarge(f"body is {len(raw)} bytes, the limit is {config.max_body_bytes}")
    return raw


def apply(events: list[CanonicalEvent]) -> dict[str, Any]:
    now = from_epoch_ms(app.current_event.request_context.request_time_epoch)
    results = ingest(events, store(), now, brand_settings(config.project_dir).zone)
    metrics.add_metric(name="EventsReceived", unit="Count", value=len(events))
    duplicates = sum(1 for r in results if r.status == "duplicate")
    return {
        "received": len(events),
        "applied": len(results) - duplicates,
        "duplicates": duplicates,
        "members": [r.member_id for r in results],
    }


def line_webhook() -> dict[str, Any]:
    body = raw_body()
    secret = line_secrets(config.line_secret_name)["channel_secret"]
    signatures.verify_line(body, app.current_event.headers.get("X-Line-Signature"), secret)
    return apply(line.parse_line_webhook(body))


def shop_orders() -> dict[str, Any]:
    body = raw_body()
    keys = webhook_secrets(config.webhook_secret_name)
    shopify = app.current_event.headers.get("X-Shopify-Hmac-Sha256")
    if shopify is not None:
        signatures.verify_shopify(body, shopify, keys["shopify_hmac_key"])
        return apply([shop.parse_shopify_order(body)])
    kairos_sig = app.current_event.headers.get("X-Kairos-Signature")
    signatures.verify_kairos(body, kairos_sig, keys["hmac_key"])
    return apply([shop.parse_generic_order(body)])


def events() -> dict[str, Any]:
    body = raw_body()
    keys = webhook_secrets(config.webhook_secret_name)
    signatures.verify_kairos(
        body, app.current_event.headers.get("X-Kairos-Signature"), keys["hmac_key"]
    )
    return apply(shop.parse_canonical_events(body))


def _tracked(token: str, kind: str) -> tuple[Link, CanonicalEvent] | None:
    """The link a token stands for and the event it means, or None for a bad token."""
    keys = webhook_secrets(config.webhook_secret_name)
    key = (keys.get("tracking_key") or keys["hmac_key"]).encode()
    try:
        link = read_token(key, token)
    except BadToken:
        return None
    member = store().get(link.member_id)
    if link.kind != kind or member is None or not member.identifiers:
        return None
    now_ms = app.current_event.request_context.request_time_epoch
    if kind == "t":
        event_type, data = "message.clicked", {"delivery_id": link.delivery_id, "url": link.url}
    else:
        event_type, data = "unsubscribed", {"delivery_id": link.delivery_id, "channel": link.url}
    event = CanonicalEvent(
        id=f"{event_type}-{link.delivery_id}-{now_ms}",
        type=event_type,
        time=from_epoch_ms(now_ms),
        member=MemberRef.model_validate(member.identifiers),
        data=data,
    )
    return link, event


def click(token: str) -> Response[str]:
    """A tracked link: record `message.clicked`, then send the member on (302)."""
    tracked = _tracked(token, "t")
    if tracked is None:
        return Response(status_code=404, content_type="text/plain", body="unknown link")
    link, event = tracked
    apply([event])
    return Response(
        status_code=302, content_type="text/plain", body="", headers={"Location": link.url}
    )


UNSUBSCRIBED_PAGE = (
    '<!doctype html><html lang="zh-Hant"><meta charset="utf-8"><title>取消訂閱</title>'
    "<body><p>您已取消訂閱，之後不會再收到這類訊息。You have been unsubscribed.</p></body></html>"
)


def unsubscribe(token: str) -> Response[str]:
    """One-click unsubscribe (RFC 8058 POST) and the link in the message (GET)."""
    tracked = _tracked(token, "u")
    if tracked is None:
        return Response(status_code=404, content_type="text/plain", body="unknown link")
    apply([tracked[1]])
    return Response(
        status_code=200, content_type="text/html; charset=utf-8", body=UNSUBSCRIBED_PAGE
    )


routes.register(
    app,
    {
        "line_webhook": line_webhook,
        "shop_orders": shop_orders,
        "events": events,
        "click": click,
        "unsubscribe": unsubscribe,
    },
)


@app.exception_handler(IngestError)  # type: ignore[untyped-decorator]
def bad_request(exc: IngestError) -> Response[Any]:
    logger.info("request refused", extra={"status": exc.status, "reason": type(exc).__name__})
    return Response(
        status_code=exc.status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": str(exc)},
    )


@app.exception_handler(ConcurrentUpdateError)  # type: ignore[untyped-decorator]
def busy(exc: ConcurrentUpdateError) -> Response[Any]:
    # 503 makes LINE and shop platforms redeliver; the event marker keeps it exactly-once.
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body={"error": "member busy, retry"},
    )


def email_engagement(event: dict[str, Any]) -> dict[str, Any]:
    """An SES event from EventBridge: its `time` is "now" (as for the schedule)."""
    engagement = ses.parse(event)
    now = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    deliveries = DeliveryStore(config.table, store().client)
    found = ses.canonical_event(engagement, deliveries, store(), now) if engagement else None
    if found is None:
        logger.info("email event not ours", extra={"detail_type": event.get("detail-type")})
        metrics.add_metric(name="EmailEventsUnmatched", unit="Count", value=1)
        return {"applied": 0}
    results = ingest([found], store(), now, brand_settings(config.project_dir).zone)
    metrics.add_metric(name="EmailEventsReceived", unit="Count", value=1)
    return {"applied": sum(1 for r in results if r.status != "duplicate")}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if ses.is_ses_event(event):
        return email_engagement(event)
    return app.resolve(event, context)
