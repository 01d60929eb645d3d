"""The webhook routes of the platforms that post events (kairos.ingest.routes): LINE's
Messaging API webhook, shop orders and checkouts (Shopify's or Kairos' generic body),
and canonical events from the brand's own systems. Each verifies its signature, parses
with kairos.ingest and applies the events; the table's stream takes it from there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import current_request as current

from kairos.ingest import checkouts, line, shop, signatures
from kairos.ingest.body import load_json
from kairos.observability import count, logger


def line_webhook() -> dict[str, Any]:
    body = current.raw_body()
    wired = current.services()
    secret = wired.secrets.line(wired.config.line_secret_name)["channel_secret"]
    signatures.verify_line(body, current.event().headers.get("X-Line-Signature"), secret)
    batch = line.parse_line_webhook(body)
    # LINE redelivers a whole body on any non-2xx: apply what is valid, count the rest.
    for event_type, ignored in batch.ignored.items():
        count("LineEventsNotActedOn", ignored)
        logger.info("line events not acted on", extra={"line_type": event_type, "count": ignored})
    if batch.malformed:
        count("LineEventsMalformed", len(batch.malformed))
        logger.warning(
            "malformed line events",
            extra={"problems": [p.as_json() for p in batch.malformed[:20]]},
        )
    answer = current.apply(batch.events)
    answer["not_acted_on"] = sum(batch.ignored.values())
    answer["malformed"] = [p.as_json() for p in batch.malformed]
    return answer


def _webhook_keys() -> dict[str, str]:
    """The brand's HMAC keys for Kairos' and Shopify's signatures."""
    wired = current.services()
    keys: dict[str, str] = wired.secrets.webhook(wired.config.webhook_secret_name)
    return keys


def shop_orders() -> dict[str, Any]:
    body = current.raw_body()
    keys = _webhook_keys()
    headers = current.event().headers
    shopify = headers.get("X-Shopify-Hmac-Sha256")
    if shopify is not None:
        signatures.verify_shopify(body, shopify, keys["shopify_hmac_key"])
        domain = headers.get("X-Shopify-Shop-Domain")
        topic = headers.get("X-Shopify-Topic") or ""
        if topic.startswith("checkouts/"):
            event_id = headers.get("X-Shopify-Event-Id")
            found = checkouts.parse_shopify_checkout(body, topic, domain, event_id)
            if found is None:
                return {"received": 1, "applied": 0, "no_customer": 1}
            return current.apply([found])
        return current.apply([shop.parse_shopify_order(body, domain)])
    signatures.verify_kairos(body, headers.get("X-Kairos-Signature"), keys["hmac_key"])
    if checkouts.is_checkout(load_json(body)):
        return current.apply([checkouts.parse_generic_checkout(body)])
    return current.apply([shop.parse_generic_order(body)])


def events() -> dict[str, Any]:
    body = current.raw_body()
    signature = current.event().headers.get("X-Kairos-Signature")
    signatures.verify_kairos(body, signature, _webhook_keys()["hmac_key"])
    return current.apply(shop.parse_canonical_events(body), namespace="kairos")


VIEWS: dict[str, Callable[..., dict[str, Any]]] = {
    "line_webhook": line_webhook,
    "shop_orders": shop_orders,
    "events": events,
}
