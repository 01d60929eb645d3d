"""The deployed sign-in, played in the browser: with a config.json naming a user pool
the console goes to the pool's managed login with a PKCE challenge, trades the code it
gets back for tokens at the pool's domain (with the verifier), calls the API with the
ID token, and "Sign out" ends the pool's session too. The pool is played by routes in
the browser; the ID token is a development one, so the local API accepts it."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import Browser, Console

POOL = "https://pool.auth.example.com"


def _dev_token(console: Console, username: str) -> str:
    request = urllib.request.Request(
        f"{console.runtime.url}/console/dev/login",
        data=json.dumps({"username": username}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["id_token"])


def test_sign_in_through_the_user_pool_with_pkce_and_sign_out_of_it(
    console: Console, browser: Browser
) -> None:
    url = console.url
    token = _dev_token(console, "staff")
    config = {
        "auth": "cognito",
        "region": "ap-northeast-1",
        "userPoolId": "ap-northeast-1_test",
        "clientId": "console-client",
        "domain": "pool.auth.example.com",
        "apiBase": "/console/api",
        "redirectUri": url,
    }
    seen: dict[str, Any] = {}
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}

    def authorize(route: Any) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        seen["authorize"] = query
        state = query["state"][0]
        route.fulfill(status=302, headers={"Location": f"{url}?code=the-code&state={state}"})

    def tokens(route: Any) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        seen["token"] = parse_qs(route.request.post_data)
        route.fulfill(json={"id_token": token, "expires_in": 3600}, headers=cors)

    def logout(route: Any) -> None:
        seen["logout"] = parse_qs(urlparse(route.request.url).query)
        route.fulfill(status=302, headers={"Location": url})

    page = browser.page()
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))
    page.route(f"{POOL}/oauth2/authorize*", authorize)
    page.route(f"{POOL}/oauth2/token", tokens)
    page.route(f"{POOL}/logout*", logout)

    # When a user opens the members page and signs in
    page.goto(f"{url}#/members")
    page.get_by_role("button", name="Sign in", exact=True).click()
    # Then they come back signed in, to the page they asked for
    page.get_by_role("button", name="Sign out").wait_for()
    page.get_by_test_id("member-row").first.wait_for()
    assert page.url.endswith("#/members") and "code=" not in page.url
    asked = seen["authorize"]
    assert asked["response_type"] == ["code"] and asked["client_id"] == ["console-client"]
    assert asked["redirect_uri"] == [url] and asked["code_challenge_method"] == ["S256"]
    # And the code was traded with the verifier whose hash was the challenge
    traded = seen["token"]
    assert traded["grant_type"] == ["authorization_code"] and traded["code"] == ["the-code"]
    digest = hashlib.sha256(traded["code_verifier"][0].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"][0]

    # When they sign out, the pool's session ends too and the token is forgotten
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert seen["logout"] == {"client_id": ["console-client"], "logout_uri": [url]}
    stored = page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})")
    assert token not in stored
