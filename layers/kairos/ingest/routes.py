"""The webhook function's routes: the one list that both the function's resolver and the
API Gateway resources are built from (and the local API too), so a path the function
serves can never be missing from the deployed API, or the reverse.

Each route says how API Gateway authorises it (`auth`): `none` for the public routes
(their callers sign requests themselves, or carry a signed token), `iam` for the admin
API under `/admin/` (SigV4, callers granted the stack's admin policy), `cognito` for the
console's API under `/console/api/` (the stack's user pool; `role` is the least of the
console roles `staff` < `marketer` < `admin` that may call it, enforced by the function
on every request). The CDK construct sets each method's authorization type from it.

Paths are written as API Gateway writes them (`t/{token}`); the resolver's form
(`/t/<token>`) is derived. Each route names the view function in
`functions/webhook/` (a family's view module beside the handler) that serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

Auth = Literal["none", "iam", "cognito"]
Role = Literal["staff", "marketer", "admin"]
ADMIN_PREFIX = "admin/"
CONSOLE_PREFIX = "console/api/"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    """Relative API Gateway resource path, e.g. `line/webhook` or `t/{token}`."""
    view: str
    """Name of the handler function that serves it."""
    auth: Auth = "none"
    """How API Gateway authorises callers: `iam` (SigV4), `cognito` (the console's
    signed-in staff) or `none` (public)."""
    role: Role | None = None
    """The least console role allowed (console routes only)."""

    def __post_init__(self) -> None:
        # An admin path is never public, and IAM guards only the admin API.
        if self.path.startswith(ADMIN_PREFIX) != (self.auth == "iam"):
            raise ValueError(f"route {self.method} {self.path}: admin routes and only they use iam")
        # The console's API is Cognito's, and every console route names its least role.
        if self.path.startswith(CONSOLE_PREFIX) != (self.auth == "cognito"):
            raise ValueError(
                f"route {self.method} {self.path}: console routes and only they use cognito"
            )
        if (self.auth == "cognito") != (self.role is not None):
            raise ValueError(f"route {self.method} {self.path}: a console route names its role")

    @property
    def api_path(self) -> str:
        """The API Gateway resource path (`/t/{token}`)."""
        return f"/{self.path}"

    @property
    def resolver_path(self) -> str:
        """The Powertools resolver's rule (`/t/<token>`)."""
        return _PARAMETER.sub(r"<\1>", self.api_path)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters if `method path` is this route (the local API's router)."""
        if method.upper() != self.method:
            return None
        found = re.fullmatch(_PARAMETER.sub(r"(?P<\1>[^/]+)", self.api_path), path)
        return None if found is None else found.groupdict()


CONSOLE_ROUTES: tuple[tuple[str, str, str, Role], ...] = (
    # The console's API (docs/console.md): signed-in staff, by role. Fixed paths come
    # before parameters (`members/export` before `members/{member_id}`).
    ("GET", "me", "console_me", "staff"),
    ("GET", "members", "console_members", "staff"),  # ?q= tag= segment= lifecycle= rfm=
    ("GET", "members/export", "console_export", "marketer"),  # the current list as CSV
    ("GET", "members/{member_id}", "console_member", "staff"),
    ("GET", "members/{member_id}/history", "console_history", "staff"),  # ?kind= before=
    ("POST", "members/{member_id}/tags/{tag}", "console_tag", "staff"),
    ("DELETE", "members/{member_id}/tags/{tag}", "console_untag", "staff"),
    ("POST", "members/{member_id}/notes", "console_note", "staff"),
    ("DELETE", "members/{member_id}", "console_erase", "admin"),  # ?request=REF
    ("POST", "members/{member_id}/merge/{absorb_id}", "console_merge", "admin"),
    ("GET", "audit", "console_audit", "admin"),  # ?before= member=
    ("GET", "journeys", "console_journeys", "marketer"),  # ?from= to=
    ("GET", "journeys/{journey_id}", "console_journey", "marketer"),
    (
        "GET",
        "journeys/{journey_id}/steps/{step_id}/members",
        "console_step_members",
        "marketer",
    ),
    ("GET", "segments", "console_segments", "marketer"),
    ("GET", "segments/{segment_id}", "console_segment", "marketer"),
    ("POST", "imports/preview", "console_import_preview", "marketer"),
    ("POST", "imports", "console_import_start", "marketer"),
    ("GET", "imports/{import_id}", "console_import", "marketer"),
    ("POST", "imports/{import_id}/chunks/{chunk}", "console_import_chunk", "marketer"),
    ("GET", "imports/{import_id}/rejects", "console_import_rejects", "marketer"),
)

ROUTES: tuple[Route, ...] = (
    Route("POST", "line/webhook", "line_webhook"),  # LINE Messaging API webhook
    Route("POST", "shop/orders", "shop_orders"),  # Shopify orders/create, generic orders
    Route("POST", "events", "events"),  # canonical events from the brand's systems
    Route("GET", "t/{token}", "click"),  # tracked link → record the click, redirect
    Route("GET", "u/{token}", "unsubscribe_page"),  # the link in a message: a page to confirm
    Route("POST", "u/{token}", "unsubscribe"),  # RFC 8058 one-click (List-Unsubscribe-Post)
    # The website snippet (docs/tracking.md): publishable key and listed origins, no
    # signature (a browser holds no secret); identity only from proofs.
    Route("POST", "collect", "collect_events"),
    Route("OPTIONS", "collect", "collect_preflight"),
    Route("GET", "collect/kairos.js", "collect_snippet"),
    # The admin API (docs/admin-api.md): the brand's own tools, signed with SigV4.
    Route(
        "GET", "admin/members", "admin_find", "iam"
    ),  # ?email= | phone= | line= | external= | tag= | segment=
    # Before `admin/members/{member_id}`: the resolver and the local router take the
    # first route that matches, and "export" would match as a member id.
    Route("GET", "admin/members/export", "admin_export", "iam"),  # ?tag= | segment= → CSV
    Route("GET", "admin/members/{member_id}", "admin_member", "iam"),
    Route("DELETE", "admin/members/{member_id}", "admin_erase", "iam"),
    Route("POST", "admin/members/{member_id}/tags/{tag}", "admin_tag", "iam"),
    Route("DELETE", "admin/members/{member_id}/tags/{tag}", "admin_untag", "iam"),
    Route("POST", "admin/members/{member_id}/notes", "admin_note", "iam"),
    Route("POST", "admin/members/{member_id}/merge/{absorb_id}", "admin_merge", "iam"),
    *(
        Route(method, f"{CONSOLE_PREFIX}{path}", view, "cognito", role)
        for method, path, view, role in CONSOLE_ROUTES
    ),
)

ROLES: tuple[Role, ...] = ("staff", "marketer", "admin")
"""The console's roles, each allowed what the ones before it are."""


def allows(granted: Iterable[str], least: Role) -> bool:
    """Whether a user in these Cognito groups may call a route needing `least`."""
    rank: dict[str, int] = {role: n for n, role in enumerate(ROLES)}
    return any(rank.get(group, -1) >= rank[least] for group in granted)


class Resolver(Protocol):
    def route(self, rule: str, method: str) -> Callable[[Callable[..., Any]], Any]: ...


def register(app: Resolver, views: Mapping[str, Callable[..., Any]]) -> None:
    """Serve every route with its view; a view without a route (or the reverse) is a
    mistake caught at import time, not a 404 in production."""
    named = {route.view for route in ROUTES}
    if named != set(views):
        raise ValueError(
            f"webhook views and routes differ: no view for {sorted(named - set(views))}, "
            f"no route for {sorted(set(views) - named)}"
        )
    for route in ROUTES:
        app.route(route.resolver_path, method=route.method)(views[route.view])
