"""Webhook function: API Gateway → verify → canonical events → members in DynamoDB.

Routes (SPEC §1, kairos.ingest.routes): POST /line/webhook, POST /shop/orders, POST
/events, the tracked-link and unsubscribe pages, and the admin API under /admin/ (IAM
authorised by API Gateway; its views only translate HTTP to kairos.members.admin_api).
It never decides what to send; the table's stream takes it from here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

import collect_views
import console_imports
import console_journeys
import console_members
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.clock import from_epoch_ms
from kairos.console.request import ConsoleRequest, Forbidden, Unauthenticated, principal_of
from kairos.delivery.tracking import BadToken, ExpiredToken, Link, read_token
from kairos.ingest import checkouts, line, routes, ses, shop, signatures
from kairos.ingest.body import load_json
from kairos.ingest.errors import BodyTooLarge, IngestError, InvalidBody
from kairos.ingest.service import ConcurrentUpdateError, ingest
from kairos.members import admin_api
from kairos.members.service import Brand, InvalidRequest
from kairos.models.events import CanonicalEvent, MemberRef
from kairos.observability import count, logger, metrics, tracer
from kairos.wiring.webhook import WebhookServices, services

app = APIGatewayRestResolver()


def wired() -> WebhookServices:
    """This request's services (put in the resolver's context by `handle`)."""
    found: WebhookServices = app.context["services"]
    return found


def raw_body() -> bytes:
    event = app.current_event
    # Decode base64 ourselves: Powertools' decoded_body assumes UTF-8, and a non-UTF-8
    # body must reach the parser as bytes to get its 400, not a crash.
    raw = (
        base64.b64decode(event.body or "")
        if event.is_base64_encoded
        else (event.body or "").encode()
    )
    limit = wired().config.max_body_bytes
    if len(raw) > limit:
        raise BodyTooLarge(f"body is {len(raw)} bytes, the limit is {limit}")
    return raw


def apply(events: list[CanonicalEvent], namespace: str = "") -> dict[str, Any]:
    """Apply validated events; `namespace` prefixes dedupe keys ("" when the parser
    already namespaced the ids: `line:`, `shopify:`, `shop:`)."""
    now = from_epoch_ms(app.current_event.request_context.request_time_epoch)
    results = ingest(
        events,
        wired().members,
        now,
        wired().settings.zone,
        namespace,
        member_id_key=wired().member_id_key(),
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


def line_webhook() -> dict[str, Any]:
    body = raw_body()
    secret = wired().secrets.line(wired().config.line_secret_name)["channel_secret"]
    signatures.verify_line(body, app.current_event.headers.get("X-Line-Signature"), secret)
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
    answer = apply(batch.events)
    answer["not_acted_on"] = sum(batch.ignored.values())
    answer["malformed"] = [p.as_json() for p in batch.malformed]
    return answer


def shop_orders() -> dict[str, Any]:
    body = raw_body()
    keys = wired().secrets.webhook(wired().config.webhook_secret_name)
    shopify = app.current_event.headers.get("X-Shopify-Hmac-Sha256")
    if shopify is not None:
        signatures.verify_shopify(body, shopify, keys["shopify_hmac_key"])
        domain = app.current_event.headers.get("X-Shopify-Shop-Domain")
        topic = app.current_event.headers.get("X-Shopify-Topic") or ""
        if topic.startswith("checkouts/"):
            event_id = app.current_event.headers.get("X-Shopify-Event-Id")
            found = checkouts.parse_shopify_checkout(body, topic, domain, event_id)
            return apply([found]) if found else {"received": 1, "applied": 0, "no_customer": 1}
        return apply([shop.parse_shopify_order(body, domain)])
    kairos_sig = app.current_event.headers.get("X-Kairos-Signature")
    signatures.verify_kairos(body, kairos_sig, keys["hmac_key"])
    if checkouts.is_checkout(load_json(body)):
        return apply([checkouts.parse_generic_checkout(body)])
    return apply([shop.parse_generic_order(body)])


def events() -> dict[str, Any]:
    body = raw_body()
    keys = wired().secrets.webhook(wired().config.webhook_secret_name)
    signatures.verify_kairos(
        body, app.current_event.headers.get("X-Kairos-Signature"), keys["hmac_key"]
    )
    return apply(shop.parse_canonical_events(body), namespace="kairos")


def _link_page(status: int, title: str, body: str) -> Response[str]:
    """A small bilingual page; never cached, and the token never leaves as a referrer."""
    page = (
        f'<!doctype html><html lang="zh-Hant"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><body>{body}</body></html>"
    )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=page,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


UNKNOWN_LINK = (404, "連結無效 Unknown link", "<p>此連結無效。This link is not valid.</p>")
EXPIRED_LINK = (410, "連結已過期 Link expired", "<p>此連結已過期。This link has expired.</p>")


def _link(token: str, kind: str) -> Link | Response[str]:
    """The link a token stands for, or the page that says why not: 404 for a token we
    did not issue with the tracking key (forged, signed with another key, a target that
    is not http(s), an unknown channel, the wrong kind), 410 for an expired one."""
    now = from_epoch_ms(app.current_event.request_context.request_time_epoch)
    try:
        link = read_token(wired().tracking_key(), token, now)
    except ExpiredToken:
        return _link_page(*EXPIRED_LINK)
    except BadToken:
        return _link_page(*UNKNOWN_LINK)
    if link.kind != kind:
        return _link_page(*UNKNOWN_LINK)
    return link


def _link_event(link: Link) -> CanonicalEvent | None:
    """The event a used link means, for its member; None when the member is gone."""
    member = wired().members.get(link.member_id)
    if member is None or not member.identifiers:
        return None
    now_ms = app.current_event.request_context.request_time_epoch
    if link.kind == "t":
        event_type, data = "message.clicked", {"delivery_id": link.delivery_id, "url": link.url}
    else:
        event_type, data = "unsubscribed", {"delivery_id": link.delivery_id, "channel": link.url}
    return CanonicalEvent(
        id=f"{event_type}-{link.delivery_id}-{now_ms}",
        type=event_type,
        time=from_epoch_ms(now_ms),
        member=MemberRef.model_validate(member.identifiers),
        data=data,
    )


def _recorded(token: str, kind: str) -> Link | Response[str]:
    """The link once its event (click or unsubscribe) is applied, or the page saying why
    it was not."""
    link = _link(token, kind)
    if isinstance(link, Response):
        return link
    event = _link_event(link)
    if event is None:
        return _link_page(*UNKNOWN_LINK)
    apply([event], namespace="link")
    return link


def click(token: str) -> Response[str]:
    """A tracked link: record `message.clicked`, then send the member on (302) to the
    http(s) target signed when the message was rendered."""
    link = _recorded(token, "t")
    if isinstance(link, Response):
        return link
    now = from_epoch_ms(app.current_event.request_context.request_time_epoch)
    target = collect_views.landing(wired(), link.url, link.member_id, now)
    return Response(
        status_code=302, content_type="text/plain", body="", headers={"Location": target}
    )


UNSUBSCRIBE_CONFIRM = (
    "取消訂閱 Unsubscribe",
    "<p>確定不再收到這類訊息嗎？Stop receiving these messages?</p>"
    '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
    '<button type="submit">取消訂閱 Unsubscribe</button></form>',
)
UNSUBSCRIBED = (
    "已取消訂閱 Unsubscribed",
    "<p>您已取消訂閱，之後不會再收到這類訊息。You have been unsubscribed.</p>",
)


def unsubscribe_page(token: str) -> Response[str]:
    """The link in the message: a confirmation page whose button POSTs. A GET changes
    nothing, so mail scanners that open every link unsubscribe nobody."""
    link = _link(token, "u")
    if isinstance(link, Response):
        return link
    return _link_page(200, *UNSUBSCRIBE_CONFIRM)


def unsubscribe(token: str) -> Response[str]:
    """Unsubscribe: RFC 8058 one-click (`List-Unsubscribe=One-Click`, sent by mail
    clients) and the confirmation page's button."""
    link = _recorded(token, "u")
    if isinstance(link, Response):
        return link
    return _link_page(200, *UNSUBSCRIBED)


# ---- the admin API (API Gateway has checked the SigV4 signature and IAM policy) -----


def _admin() -> admin_api.AdminRequest:
    event = app.current_event
    identity = event.request_context.identity
    services_ = wired()
    return admin_api.AdminRequest(
        members=services_.members,
        erasure=services_.erasure,
        brand=Brand(zone=services_.settings.zone, member_id_key=services_.member_id_key()),
        segment_ids=services_.segment_ids,
        now=from_epoch_ms(event.request_context.request_time_epoch),
        request_id=event.request_context.request_id or "unknown",
        # `kairos local` serves the admin routes unsigned: no caller there.
        caller=identity.user_arn or identity.caller or "local",
        query=dict(event.query_string_parameters or {}),
        audit=services_.audit,
    )


def _answer(found: admin_api.Answer) -> Response[Any]:
    status, body = found
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )


def admin_find() -> Response[Any]:
    return _answer(admin_api.find_members(_admin()))


def admin_export() -> Response[Any]:
    """CSV of a tag's or segment's members; the rest's cursor in `X-Next-Cursor` / `Link`."""
    kind, name, page = admin_api.export_members(_admin())
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{kind}-{quote(name, safe="")}.csv"',
        "X-Members": str(page.members),
    }
    if page.next is not None:
        kept = _kept_of(app.current_event)
        query = urlencode({kind: name, "cursor": page.next, **kept})
        headers["X-Next-Cursor"] = page.next
        headers["Link"] = f'<?{query}>; rel="next"'
    return Response(
        status_code=200, content_type="text/csv; charset=utf-8", body=page.csv, headers=headers
    )


def _kept_of(event: Any) -> dict[str, str]:
    """What the next page's link repeats: the page size and the extra columns."""
    given = event.query_string_parameters or {}
    return {k: given[k] for k in ("limit", "attributes") if given.get(k)}


def admin_member(member_id: str) -> Response[Any]:
    return _answer(admin_api.get_member(_admin(), unquote(member_id)))


def admin_erase(member_id: str) -> Response[Any]:
    return _answer(admin_api.erase_member(_admin(), unquote(member_id)))


def admin_tag(member_id: str, tag: str) -> Response[Any]:
    return _answer(admin_api.tag_member(_admin(), unquote(member_id), unquote(tag), add=True))


def admin_untag(member_id: str, tag: str) -> Response[Any]:
    return _answer(admin_api.tag_member(_admin(), unquote(member_id), unquote(tag), add=False))


def admin_note(member_id: str) -> Response[Any]:
    return _answer(admin_api.note_member(_admin(), unquote(member_id), raw_body()))


def admin_merge(member_id: str, absorb_id: str) -> Response[Any]:
    return _answer(admin_api.merge_members(_admin(), unquote(member_id), unquote(absorb_id)))


# ---- the console's API (API Gateway's Cognito authorizer has checked the token) ----

ConsoleView = Callable[..., Response[Any]]
CONSOLE_VIEWS: dict[str, ConsoleView] = {
    **console_members.VIEWS,
    **console_journeys.VIEWS,
    **console_imports.VIEWS,
}


def _console(route: routes.Route, view: ConsoleView) -> Callable[..., Response[Any]]:
    """Serve a console route: the caller from the authorizer's claims, their role
    checked against the route's on every request, then the view."""

    def serve(**params: str) -> Response[Any]:
        event = app.current_event
        principal = principal_of(event.request_context.authorizer.claims)
        if route.role is None or not principal.may(route.role):
            raise Forbidden(f"{route.method} /{route.path} needs the {route.role} role")
        request = ConsoleRequest(
            services=wired(),
            principal=principal,
            now=from_epoch_ms(event.request_context.request_time_epoch),
            request_id=event.request_context.request_id or "unknown",
            query=dict(event.query_string_parameters or {}),
            body=raw_body() if route.method in ("POST", "PUT") else b"",
        )
        return view(request, **{k: unquote(v) for k, v in params.items()})

    return serve


def _web(view: Callable[[collect_views.WebRequest], Response[str]]) -> Callable[[], Response[str]]:
    """Serve a website route (collect_views): headers, body and receive time."""

    def serve() -> Response[str]:
        event = app.current_event
        return view(
            collect_views.WebRequest(
                services=wired(),
                headers={k.lower(): v for k, v in (event.headers or {}).items()},
                body=raw_body() if event.http_method == "POST" else b"",
                now=from_epoch_ms(event.request_context.request_time_epoch),
            )
        )

    return serve


routes.register(
    app,
    {
        **{name: _web(view) for name, view in collect_views.VIEWS.items()},
        **{
            route.view: _console(route, CONSOLE_VIEWS[route.view])
            for route in routes.ROUTES
            if route.auth == "cognito" and route.view in CONSOLE_VIEWS
        },
        "admin_merge": admin_merge,
        "admin_find": admin_find,
        "admin_export": admin_export,
        "admin_member": admin_member,
        "admin_erase": admin_erase,
        "admin_tag": admin_tag,
        "admin_untag": admin_untag,
        "admin_note": admin_note,
        "line_webhook": line_webhook,
        "shop_orders": shop_orders,
        "events": events,
        "click": click,
        "unsubscribe_page": unsubscribe_page,
        "unsubscribe": unsubscribe,
    },
)


@app.exception_handler(IngestError)  # type: ignore[untyped-decorator]
def bad_request(exc: IngestError) -> Response[Any]:
    logger.info("request refused", extra={"status": exc.status, "reason": type(exc).__name__})
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, InvalidBody) and exc.problems:
        body["problems"] = [p.as_json() for p in exc.problems]
    return Response(status_code=exc.status, content_type=content_types.APPLICATION_JSON, body=body)


@app.exception_handler(InvalidRequest)  # type: ignore[untyped-decorator]
def invalid_admin_request(exc: InvalidRequest) -> Response[Any]:
    return Response(
        status_code=400, content_type=content_types.APPLICATION_JSON, body={"error": str(exc)}
    )


@app.not_found
def no_route(exc: Exception) -> Response[Any]:
    """A path no route serves (API Gateway answers these itself; a hand-made event may not)."""
    return Response(
        status_code=404,
        content_type=content_types.APPLICATION_JSON,
        body={"error": "no such route"},
        headers={"Cache-Control": "no-store"},
    )


@app.exception_handler(Unauthenticated)  # type: ignore[untyped-decorator]
def unauthenticated(exc: Unauthenticated) -> Response[Any]:
    return Response(
        status_code=401,
        content_type=content_types.APPLICATION_JSON,
        body={"error": str(exc)},
        headers={"Cache-Control": "no-store"},
    )


@app.exception_handler(Forbidden)  # type: ignore[untyped-decorator]
def forbidden(exc: Forbidden) -> Response[Any]:
    logger.info("console request forbidden", extra={"reason": str(exc)})
    return Response(
        status_code=403,
        content_type=content_types.APPLICATION_JSON,
        body={"error": str(exc)},
        headers={"Cache-Control": "no-store"},
    )


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def internal_error(exc: Exception) -> Response[Any]:
    """Every request gets an answer: a 500 with the request id to quote, the details in
    the log. Each event commits in one transaction, so nothing is half-written, and a
    resent request applies only what is missing."""
    request_id = app.current_event.request_context.request_id or "unknown"
    logger.exception("request failed", extra={"request_id": request_id})
    return Response(
        status_code=500,
        content_type=content_types.APPLICATION_JSON,
        body={"error": "internal error, nothing was half-applied; retry", "request_id": request_id},
    )


@app.exception_handler(ConcurrentUpdateError)  # type: ignore[untyped-decorator]
def busy(exc: ConcurrentUpdateError) -> Response[Any]:
    # 503 makes LINE and shop platforms redeliver; the event marker keeps it exactly-once.
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body={"error": "member busy, retry"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)  # type: ignore[untyped-decorator]
@tracer.capture_lambda_handler  # type: ignore[untyped-decorator]
@metrics.log_metrics  # type: ignore[untyped-decorator]
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context, services())


def email_engagement(event: dict[str, Any], wiring: WebhookServices) -> dict[str, Any]:
    """An SES event from EventBridge: its `time` is "now" (as for the schedule)."""
    engagement = ses.parse(event)
    now = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    found = (
        ses.canonical_event(engagement, wiring.deliveries, wiring.members, now)
        if engagement
        else None
    )
    if found is None:
        logger.info("email event not ours", extra={"detail_type": event.get("detail-type")})
        count("EmailEventsUnmatched", 1)
        return {"applied": 0}
    results = ingest(
        [found],
        wiring.members,
        now,
        wiring.settings.zone,
        namespace="",
        member_id_key=wiring.member_id_key(),
    )
    count("EmailEventsReceived", 1)
    return {"applied": sum(1 for r in results if r.status != "duplicate")}


def handle(
    event: dict[str, Any], context: LambdaContext, wiring: WebhookServices
) -> dict[str, Any]:
    """The handler with its services given: what the simulator calls on its backend."""
    if ses.is_ses_event(event):
        return email_engagement(event, wiring)
    app.append_context(services=wiring)  # type: ignore[no-untyped-call]
    return app.resolve(event, context)
