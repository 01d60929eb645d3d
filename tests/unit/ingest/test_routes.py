"""One route list: the resolver's rules and the local router are derived from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kairos.ingest.routes import ROUTES, Route, register


def test_resolver_and_api_forms() -> None:
    route = Route("GET", "t/{token}", "click")
    assert route.api_path == "/t/{token}"
    assert route.resolver_path == "/t/<token>"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/t/abc.def", {"token": "abc.def"}),
        ("POST", "/u/xyz", {"token": "xyz"}),
        ("POST", "/events", {}),
        ("GET", "/events", None),
        ("GET", "/t/", None),
        ("GET", "/t/a/b", None),
    ],
)
def test_local_router_matches_like_api_gateway(
    method: str, path: str, expected: dict[str, str] | None
) -> None:
    found = [params for route in ROUTES if (params := route.match(method, path)) is not None]
    assert found == ([] if expected is None else [expected])


class Recorder:
    def __init__(self) -> None:
        self.rules: list[tuple[str, str]] = []

    def route(self, rule: str, method: str) -> Callable[[Callable[..., Any]], Any]:
        self.rules.append((method, rule))
        return lambda fn: fn


def test_register_serves_every_route() -> None:
    app = Recorder()
    register(app, {route.view: lambda: None for route in ROUTES})
    assert app.rules == [(r.method, r.resolver_path) for r in ROUTES]


def test_a_view_without_a_route_is_refused() -> None:
    views: dict[str, Callable[..., Any]] = {route.view: lambda: None for route in ROUTES}
    with pytest.raises(ValueError, match="no route for \\['refund'\\]"):
        register(Recorder(), {**views, "refund": lambda: None})
    del views["click"]
    with pytest.raises(ValueError, match="no view for \\['click'\\]"):
        register(Recorder(), views)


def test_admin_routes_and_only_they_are_iam() -> None:
    assert {r.auth for r in ROUTES if r.path.startswith("admin/")} == {"iam"}
    assert {r.auth for r in ROUTES if r.path.startswith("console/api/")} == {"cognito"}
    public = [r for r in ROUTES if not r.path.startswith(("admin/", "console/api/"))]
    assert {r.auth for r in public} == {"none"}


def test_every_console_route_names_a_role_and_nothing_else_does() -> None:
    assert {r.role for r in ROUTES if r.auth == "cognito"} <= {"staff", "marketer", "admin"}
    assert all(r.role is not None for r in ROUTES if r.auth == "cognito")
    assert all(r.role is None for r in ROUTES if r.auth != "cognito")
    with pytest.raises(ValueError, match="names its role"):
        Route("GET", "console/api/x", "x", "cognito")
    with pytest.raises(ValueError, match="console routes and only they"):
        Route("GET", "console/api/x", "x", "none")
    with pytest.raises(ValueError, match="admin routes and only they use iam"):
        Route("GET", "admin/members", "admin_find")
    with pytest.raises(ValueError, match="admin routes and only they use iam"):
        Route("POST", "events", "events", "iam")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/admin/members", {}),
        ("GET", "/admin/members/m-1", {"member_id": "m-1"}),
        ("DELETE", "/admin/members/m-1/tags/vip", {"member_id": "m-1", "tag": "vip"}),
        ("POST", "/admin/members/m-1/notes", {"member_id": "m-1"}),
    ],
)
def test_admin_paths_match_one_route(method: str, path: str, expected: dict[str, str]) -> None:
    found = [params for route in ROUTES if (params := route.match(method, path)) is not None]
    assert found == [expected]
