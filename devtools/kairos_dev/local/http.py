"""The local HTTP endpoint: real requests in, API Gateway proxy events to the real
webhook handler, its answer back out. Plays API Gateway for `kairos local`, with the
routes the deployed API has (`kairos.ingest.routes`).

The admin routes (`auth="iam"`) are served here WITHOUT SigV4: on 127.0.0.1, anyone
on this machine can read and erase the local members. The deployed API refuses every
unsigned admin call (403) before the function runs (docs/admin-api.md).

The console's routes (`auth="cognito"`) are checked as API Gateway's Cognito authorizer
checks them, with the development tokens of `kairos_dev.local.console_auth`: no token,
a bad or an expired one is answered 401 here and never reaches the function; a good
one's claims go into the event. `/console/` itself serves the built console
(`console_site`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kairos.ingest.routes import ROUTES, Route
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.console_auth import DevTokens, InvalidToken, parse_users
from kairos_dev.local.console_site import ConsoleSite
from kairos_dev.local.functions import Invoke

MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit
UNAUTHORIZED = b'{"message":"Unauthorized"}'
"""API Gateway's own answer when its authorizer refuses a token."""


class _Handler(BaseHTTPRequestHandler):
    server_version = "KairosLocal/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handler logs structured lines; no access log noise

    def _route(self, method: str) -> tuple[Route, dict[str, str] | None] | None:
        path = self.path.split("?", 1)[0]
        for route in ROUTES:
            params = route.match(method, path)
            if params is not None:
                return route, params or None
        return None

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, {"content-type": "application/json"}, b'{"error": "too large"}')
            return
        body = self.rfile.read(length) if length else b""
        site: ConsoleSite = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if site.handles(path):
            self._answer(*site.answer(method, path, body))
            return
        found = self._route(method)
        if found is None:
            self._answer(404, {"content-type": "application/json"}, b'{"error": "no such route"}')
            return
        route, params = found
        claims = None
        if route.auth == "cognito":
            try:
                claims = site.tokens.authorize(self.headers.get("Authorization"))
            except InvalidToken:
                self._answer(401, {"Content-Type": "application/json"}, UNAUTHORIZED)
                return
        now: Callable[[], float] = self.server.now  # type: ignore[attr-defined]
        event = proxy_event(
            method,
            self.path,
            {k: v for k, v in self.headers.items()},
            body,
            int(now() * 1000),
            resource=route.api_path,
            path_parameters=params,
            authorizer_claims=claims,
        )
        seen: Callable[[bytes], None] | None = self.server.line_webhook_seen  # type: ignore[attr-defined]
        if seen is not None and route.path == "line/webhook":
            seen(body)
        invoke: Invoke = self.server.invoke  # type: ignore[attr-defined]
        with self.server.serial:  # type: ignore[attr-defined]
            result = invoke("webhook", event)
        # The REST proxy format may answer in either header field (Powertools uses both).
        headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
        headers.update(result.get("headers") or {})
        payload = result.get("body") or ""
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self._answer(int(result["statusCode"]), headers, data)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() != "content-length":
                    self.send_header(key, str(value))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser left (a page closed mid-load): nobody to answer

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")


class LocalApi:
    """The webhook routes and the console on 127.0.0.1:port, served from a background
    thread.

    `serial` is held around every function call: the handler's resolver keeps the
    request it serves on itself, as one Lambda instance serves one request at a time
    (the memory backend passes its own lock, shared with its pumps). `now` is the
    request time API Gateway stamps (the wall clock, or a simulation's)."""

    def __init__(
        self,
        port: int,
        invoke: Invoke,
        console_users: list[str] | None = None,
        now: Callable[[], float] = time.time,
        serial: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.invoke = invoke  # type: ignore[attr-defined]
        self.server.now = now  # type: ignore[attr-defined]
        self.serial = serial or threading.Lock()
        self.server.serial = self.serial  # type: ignore[attr-defined]
        self.tokens = DevTokens(parse_users(console_users))
        self.site = ConsoleSite(self.tokens)
        self.server.site = self.site  # type: ignore[attr-defined]
        self.server.line_webhook_seen = None  # type: ignore[attr-defined]
        """Told each LINE webhook body first (the runtime's fake LINE adopts its reply
        tokens, as LINE would know the tokens it sent)."""
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def console_url(self) -> str:
        return f"{self.url}/console/"

    def start(self) -> LocalApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
