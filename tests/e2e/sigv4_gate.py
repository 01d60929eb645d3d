"""A stand-in for API Gateway's IAM check in front of `kairos local`'s API (which serves
the admin routes unsigned): every request must carry an `AWS4-HMAC-SHA256`
Authorization header scoped to `execute-api` in the expected region, whose signature
this gate recomputes from the request it received with the caller's secret key; a
request that fails is answered 403 as API Gateway answers it. A signed request from a
caller without the admin policy (`allowed` does not hold its key) is refused too.
Good requests are passed on to the local API."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


STAGE = "/prod"
"""The deployed API's stage, the first part of its path (the local API has none)."""


@dataclass
class Seen:
    method: str
    path: str
    authorization: str
    verdict: str
    """`signed`, or why the gate refused it."""


@dataclass
class SigV4Gate:
    upstream: str
    region: str
    secrets: dict[str, str]
    """Access key id → secret key of the callers this gate knows."""
    allowed: set[str] = field(default_factory=set)
    """Access key ids holding the admin policy."""
    seen: list[Seen] = field(default_factory=list)
    server: Any = None

    def verdict(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        found = AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if found is None:
            return "no SigV4 Authorization header"
        if found["service"] != "execute-api" or found["region"] != self.region:
            return f"scope {found['region']}/{found['service']}"
        secret = self.secrets.get(found["key"])
        if secret is None:
            return "unknown access key"
        signed = found["signed"].split(";")
        request = AWSRequest(
            method=method,
            url=f"http://{headers['host']}{path}",
            data=body or None,
            headers={k: v for k, v in headers.items() if k in signed and k != "host"},
        )
        request.context["timestamp"] = headers.get("x-amz-date", "")
        signer = SigV4Auth(
            Credentials(found["key"], secret, headers.get("x-amz-security-token")),
            "execute-api",
            self.region,
        )
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != found["signature"]:
            return "signature does not match"
        return "signed" if found["key"] in self.allowed else "not authorized"

    def start(self) -> SigV4Gate:
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verdict = gate.verdict(self.command, self.path, headers, body)
                gate.seen.append(
                    Seen(self.command, self.path, headers.get("authorization", ""), verdict)
                )
                if verdict == "not authorized":
                    self._send(
                        403, b'{"Message": "User is not authorized to access this resource"}'
                    )
                    return
                if verdict != "signed":
                    self._send(403, b'{"message": "Missing Authentication Token"}')
                    return
                forward = urllib.request.Request(
                    gate.upstream + self.path.removeprefix(STAGE),
                    data=body or None,
                    headers={"Content-Type": headers.get("content-type", "application/json")},
                    method=self.command,
                )
                try:
                    with urllib.request.urlopen(forward, timeout=60) as answer:
                        self._send(answer.status, answer.read())
                except urllib.error.HTTPError as exc:
                    self._send(exc.code, exc.read())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{STAGE}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
