"""Webhook function: API Gateway → verify → canonical events → members in DynamoDB.

Routes (SPEC §1, kairos.ingest.routes) come in families, each a view module beside this
one: the platforms' webhooks (ingest_views), the links in messages (link_views), the
IAM admin API (admin_views), the website's collect route (collect_views) and the
console's API (console_members, console_journeys, console_imports). This module builds
the resolver, serves each family, and answers what goes wrong; it never decides what to
send: the table's stream takes it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import admin_views
import collect_views
import console_imports
import console_journeys
import console_members
import current_request as current
import ingest_views
import link_views
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from kairos.console.request import ConsoleRequest, Forbidden, Unauthenticated, principal_of
from kairos.ingest import routes, ses
from kairos.ingest.errors import IngestError, InvalidBody
from kairos.ingest.service import ConcurrentUpdateError, ingest
from kairos.members.service import InvalidRequest
from kairos.observability import count, logger, metrics, tracer
from kairos.wiring.webhook import WebhookServices, services

app = APIGatewayRestResolver()
# The view modules read the request through current_request's router.
app.include_router(current.router)


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
        event = current.event()
        principal = principal_of(event.request_context.authorizer.claims)
        if route.role is None or not principal.may(route.role):
            raise Forbidden(f"{route.method} /{route.path} needs the {route.role} role")
        request = ConsoleRequest(
            services=current.services(),
            principal=principal,
            now=current.now(),
            request_id=event.request_context.request_id or "unknown",
            query=dict(event.query_string_parameters or {}),
            body=current.raw_body() if route.method in ("POST", "PUT") else b"",
        )
        return view(request, **{k: unquote(v) for k, v in params.items()})

    return serve


def _web(view: Callable[[collect_views.WebRequest], Response[str]]) -> Callable[[], Response[str]]:
    """Serve a website route (collect_views): headers, body and receive time."""

    def serve() -> Response[str]:
        event = current.event()
        return view(
            collect_views.WebRequest(
                services=current.services(),
                headers={k.lower(): v for k, v in (event.headers or {}).items()},
                body=current.raw_body() if event.http_method == "POST" else b"",
                now=current.now(),
            )
        )

    return serve


routes.register(
    app,
    {
        **ingest_views.VIEWS,
        **link_views.VIEWS,
        **admin_views.VIEWS,
        **{name: _web(view) for name, view in collect_views.VIEWS.items()},
        **{
            route.view: _console(route, CONSOLE_VIEWS[route.view])
            for route in routes.ROUTES
            if route.auth == "cognito" and route.view in CONSOLE_VIEWS
        },
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
