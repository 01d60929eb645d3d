"""The local HTTP endpoint: real requests in, API Gateway proxy events to the real
webhook handler, its answer back out. Plays API Gateway for `kairos local`, with the
routes the deployed API has (`kairos.ingest.routes`).

The admin routes (`auth="iam"`) are served here WITHOUT SigV4: on 127.0.0.1, anyone
on this machine can read and erase the local members. The deployed API refuses every
unsigned admin call (403) before the function runs (docs/admin-api.md)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kairos.ingest.routes import ROUTES
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.functions import Invoke

MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit


class _Handler(BaseHTTPRequestHandler):
    server_version = "KairosLocal/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handler logs structured lines; no access log noise

    def _route(self, method: str) -> tuple[str, dict[str, str] | None] | None:
        path = self.path.split("?", 1)[0]
        for route in ROUTES:
            params = route.match(method, path)
            if params is not None:
                return route.api_path, params or None
        return None

    def _serve(self, method: str) -> None:
        route = self._route(method)
        if route is None:
            self._answer(404, {"content-type": "application/json"}, b'{"error": "no such route"}')
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, {"content-type": "application/json"}, b'{"error": "too large"}')
            return
        body = self.rfile.read(length) if length else b""
        resource, params = route
        event = proxy_event(
            method,
            self.path,
            {k: v for k, v in self.headers.items()},
            body,
            int(time.time() * 1000),
            resource=resource,
            path_parameters=params,
        )
        invoke: Invoke = self.server.invoke  # type: ignore[attr-defined]
        result = invoke("webhook", event)
        # The REST proxy format may answer in either header field (Powertools uses both).
        headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
        headers.update(result.get("headers") or {})
        payload = result.get("body") or ""
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self._answer(int(result["statusCode"]), headers, data)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class LocalApi:
    """The webhook routes on 127.0.0.1:port, served from a background thread."""

    def __init__(self, port: int, invoke: Invoke) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.invoke = invoke  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
