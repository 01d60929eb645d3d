"""Who may call what: every console route (kairos.ingest.routes, `auth == "cognito"`)
for each caller — no claims, staff, marketer, admin — through the real handler. No
claims is a 401, a role below the route's a 403, both before any view runs (so nothing
is read or written); an allowed role reaches the view."""

from __future__ import annotations

import re

import pytest

from kairos.ingest.routes import CONSOLE_PREFIX, ROLES, ROUTES, Route
from tests.unit.console.client import Console

CONSOLE = [r for r in ROUTES if r.auth == "cognito"]
MEMBERS_FAMILY = {
    "console_me", "console_members", "console_export", "console_member", "console_history",
    "console_tag", "console_untag", "console_note", "console_erase", "console_merge",
    "console_audit",
}  # fmt: skip
CALLERS = ("none", "staff", "marketer", "admin")


def concrete(route: Route) -> str:
    """The route's path under /console/api/ with every parameter filled in."""
    return re.sub(r"\{[^}]+\}", "x1", route.path.removeprefix(CONSOLE_PREFIX))


@pytest.fixture(scope="module")
def console() -> Console:
    return Console()


def test_every_console_route_is_in_the_matrix() -> None:
    assert len(CONSOLE) >= 21 and all(r.role in ROLES for r in CONSOLE)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", CONSOLE, ids=lambda r: f"{r.method} {r.path}")
def test_role_matrix(console: Console, route: Route, caller: str) -> None:
    # Given a caller with (or without) claims, when they call the route
    answer = console.call(route.method, concrete(route), caller, raw=b"{}")
    # Then: 401 without claims, 403 below the route's role, the view otherwise
    assert answer.headers.get("Cache-Control") == "no-store" or answer.status not in (401, 403)
    if caller == "none":
        assert answer.status == 401, answer.text
    elif route.role is not None and ROLES.index(caller) < ROLES.index(route.role):
        assert answer.status == 403, answer.text
        assert route.role in answer.body["error"]
    else:
        assert answer.status not in (401, 403), answer.text
        if route.view in MEMBERS_FAMILY:
            assert answer.status < 500, answer.text  # made-up ids: a 4xx, never a crash


def test_a_token_without_a_user_name_is_a_401(console: Console) -> None:
    answer = console.call("GET", "me", "none")
    assert answer.status == 401 and answer.body == {"error": "sign in first"}


def test_groups_outside_the_console_roles_are_a_403(console: Console) -> None:
    from tests.unit.console import client

    client.USERS["stranger"] = {"cognito:username": "x", "cognito:groups": "billing"}
    try:
        assert console.call("GET", "me", "stranger").status == 403
    finally:
        del client.USERS["stranger"]


def test_a_path_no_route_serves_is_a_404_not_a_500() -> None:
    # Given a hand-made event for a path the API does not have
    console = Console()
    # When it reaches the function
    answer = console.call("GET", "/console/api/nothing-here")
    # Then it is told so, as API Gateway would
    assert answer.status == 404
    assert answer.body == {"error": "no such route"}
