"""Webhook function: API Gateway → verify → canonical events → members in DynamoDB.

Routes (SPEC §1): POST /line/webhook, POST /shop/orders, POST /events. It never decides
what to send; the table's stream takes it from here.
"""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.clock import from_epoch_ms
from kairos.config import RuntimeConfig, brand_settings
from kairos.ingest import line, shop, signatures
from kairos.ingest.errors import BodyTooLarge, IngestError
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.observability import logger, metrics, tracer
from kairos.secrets import line_secrets, webhook_secrets
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


@app.post("/line/webhook")
def line_webhook() -> dict[str, Any]:
    body = raw_body()
    secret = line_secrets(config.line_secret_name)["channel_secret"]
    signatures.verify_line(body, app.current_event.headers.get("X-Line-Signature"), secret)
    return apply(line.parse_line_webhook(body))


@app.post("/shop/orders")
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


@app.post("/events")
def events() -> dict[str, Any]:
    body = raw_body()
    keys = webhook_secrets(config.webhook_secret_name)
    signatures.verify_kairos(
        body, app.current_event.headers.get("X-Kairos-Signature"), keys["hmac_key"]
    )
    return apply(shop.parse_canonical_events(body))


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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
