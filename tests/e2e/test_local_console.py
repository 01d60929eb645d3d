"""`kairos local` serving the console: its files, its development sign-in, and the
Cognito authorizer it plays for the console's API (401 before the function runs)."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kairos_dev.cli import main
from kairos_dev.local.console_auth import ConsoleUser
from kairos_dev.local.console_memory import MemoryRuntime
from kairos_dev.local.runtime import LocalRuntime

EXAMPLES = str(Path(__file__).resolve().parents[2] / "examples")


def fetch(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryRuntime]:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = MemoryRuntime.start(
        EXAMPLES, port=0, console_users=["ana:marketer", "bo:staff"], pumps=False
    )
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Kairos</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('hi')")
    (dist / "assets" / "index-abc123.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("not the console's")
    local.api.site.dist = dist
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def sign_in(runtime: MemoryRuntime, username: str) -> str:
    status, _, body = fetch(
        f"{runtime.url}/console/dev/login", "POST", json.dumps({"username": username}).encode()
    )
    assert status == 200
    token: str = json.loads(body)["id_token"]
    return token


def test_the_console_is_served_at_console(runtime: MemoryRuntime) -> None:
    status, headers, body = fetch(f"{runtime.url}/console/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"<title>Kairos</title>" in body
    status, headers, _ = fetch(f"{runtime.url}/console/assets/index-abc123.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert "immutable" in headers["Cache-Control"]
    status, headers, _ = fetch(f"{runtime.url}/console/assets/index-abc123.css")
    assert (status, headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert fetch(f"{runtime.url}/console/assets/missing.js")[0] == 404


def test_nothing_outside_the_built_console_is_served(runtime: MemoryRuntime) -> None:
    for path in ("/console/../secret.txt", "/console/%2e%2e/secret.txt",
                 "/console/assets/..%2f..%2fsecret.txt", "/console/%2e%2e%2fsecret.txt"):  # fmt: skip
        status, _, body = fetch(f"{runtime.url}{path}")
        assert status == 404, path
        assert b"not the console's" not in body


def test_config_says_sign_in_is_the_development_login(runtime: MemoryRuntime) -> None:
    status, headers, body = fetch(f"{runtime.url}/console/config.json")
    assert (status, json.loads(body)) == (200, {"auth": "dev", "apiBase": "/console/api"})
    assert headers["Content-Type"] == "application/json"


def test_the_development_login_offers_the_given_users(runtime: MemoryRuntime) -> None:
    status, _, body = fetch(f"{runtime.url}/console/dev/users")
    assert status == 200
    assert [(u["username"], u["role"]) for u in json.loads(body)["users"]] == [
        ("ana", "marketer"),
        ("bo", "staff"),
    ]
    status, _, body = fetch(f"{runtime.url}/console/dev/login", "POST", b'{"username": "eve"}')
    assert status == 400
    assert "no console user 'eve'" in json.loads(body)["error"]
    status, _, body = fetch(f"{runtime.url}/console/dev/login", "POST", b'{"username": "ana"}')
    answer = json.loads(body)
    assert status == 200 and answer["id_token"].count(".") == 2 and answer["expires_at"] > 0


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Bearer a.b.c"],
)
def test_the_api_refuses_a_missing_or_bad_token_before_the_function(
    runtime: MemoryRuntime, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    status, _, body = fetch(f"{runtime.url}/console/api/me", headers=headers)
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_every_console_route_needs_a_token(runtime: MemoryRuntime) -> None:
    from kairos.ingest.routes import ROUTES

    console_routes = [r for r in ROUTES if r.auth == "cognito"]
    assert len(console_routes) > 10
    for route in console_routes:
        path = re.sub(r"\{[a-z_]+\}", "x", route.api_path)
        status, _, body = fetch(
            f"{runtime.url}{path}", route.method, b"" if route.method in ("POST", "PUT") else None
        )
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), route


def test_a_token_from_another_run_or_an_expired_one_is_refused(runtime: MemoryRuntime) -> None:
    from kairos_dev.local.console_auth import DevTokens

    elsewhere = DevTokens(runtime.api.tokens.users).issue(ConsoleUser("ana", "marketer"))[0]
    expired = DevTokens(
        runtime.api.tokens.users, clock=lambda: 1_000_000_000, key=runtime.api.tokens.key
    ).issue(ConsoleUser("ana", "marketer"))[0]
    for token in (elsewhere, expired):
        status, _, body = fetch(
            f"{runtime.url}/console/api/members", headers={"Authorization": f"Bearer {token}"}
        )
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_a_good_token_reaches_the_function_with_its_claims(runtime: MemoryRuntime) -> None:
    token = sign_in(runtime, "bo")
    # A staff member may not read the audit log: the function itself says 403.
    status, _, body = fetch(
        f"{runtime.url}/console/api/audit", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 403
    assert "admin" in json.loads(body)["error"]
    status, _, _ = fetch(
        f"{runtime.url}/console/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert status not in (401, 403)


def test_the_emulator_runtime_plays_the_authorizer_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    local = LocalRuntime.start(None, port=0, pumps=False, prefix=f"c{uuid.uuid4().hex[:8]}")
    try:
        assert fetch(f"{local.api.url}/console/api/me")[0] == 401
        token, _ = local.api.tokens.issue(ConsoleUser("admin", "admin"))
        status, _, _ = fetch(
            f"{local.api.url}/console/api/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert status not in (401, 403)
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_a_bad_console_user_stops_kairos_local_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["local", EXAMPLES, "--console-user", "ana:boss"]) == 2
    assert "the role is one of staff, marketer, admin, not 'boss'" in capsys.readouterr().err


def test_the_console_over_a_simulated_year_is_populated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given what `make console` runs: the example year on the memory backend
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    until = datetime.fromisoformat("2027-01-01T00:00:00+08:00")
    local = MemoryRuntime.start(EXAMPLES, port=0, simulate_until=until, pumps=False)
    try:
        # Then its clock goes on from the simulation's end
        assert local.now() >= until
        assert local.simulated > 200 and local.deliveries > 100
        # And a signed-in user finds the year's members through the console's API
        token, _ = local.api.tokens.issue(ConsoleUser("staff", "staff"))
        status, _, body = fetch(
            f"{local.url}/console/api/members?q=%E9%99%B3",  # 陳
            headers={"Authorization": f"Bearer {token}"},
        )
        assert status == 200
        assert json.loads(body)["items"]
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
