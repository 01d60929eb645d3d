"""A fake LINE Messaging API on 127.0.0.1 (real HTTP), for tests, `kairos local` and the
simulator on the emulator. line-bot-sdk talks to it through `Configuration(host=fake.url)`;
a simulation on the memory backend calls the same fake in process instead
(line_inprocess.py: `FakeLine.receive`, no server).

It behaves like LINE where the sender depends on it:
- `Authorization: Bearer <token>` or 401;
- `POST /v2/bot/message/push` (`to`, `messages` 1–5) and `/v2/bot/message/multicast`
  (`to` 1–500, `messages` 1–5), messages checked (text 1–5,000 characters, Flex via
  line-bot-sdk's models) → 400 with LINE's error shape naming the property;
- `POST /v2/bot/message/reply` (`replyToken`, `messages` 1–5, checked as a push's) with
  the tokens `issue_reply_token` made (fake_line_replies.py): usable once, for 60 s by
  the fake's clock, else 400 `{"message": "Invalid reply token"}`; sent to the token's
  user, free (not counted in the monthly allowance), `X-Line-Retry-Key` ignored;
- a per-endpoint (push, multicast, reply) requests-per-second limit over aligned
  one-second windows → 429 `{"message": "Too Many Requests"}`;
- an optional monthly allowance (messages × recipients) → 429
  `{"message": "You have reached your monthly limit."}`;
- `X-Line-Retry-Key` (a UUID): a key already accepted → 409 with
  `X-Line-Accepted-Request-Id` and nothing sent;
- injected faults for tests, on any endpoint or one: 5xx before accepting, or a slow
  answer after accepting (the client times out although LINE sent the message; a reply's
  token is used);
- the channel's settings `kairos doctor` reads: `GET /v2/bot/info` (the bot),
  `GET|PUT /v2/bot/channel/webhook/endpoint` (the webhook URL and whether it is used),
  `GET /v2/bot/message/quota` and `/quota/consumption` (the monthly allowance);
- rich menus, their aliases, bulk linking and unit statistics (fake_line_menus.py), and
  `customAggregationUnits` on push and multicast (one unit name, ≤ 30 of `A-Za-z0-9_`);
- `POST /oauth2/v2.1/verify` (LIFF ID tokens made by `issue_id_token`; no bearer token).

Everything accepted is recorded with its time, so a test can check delivery counts,
duplicates, and that no one-second window went over the rate.

    fake = start_fake_line(rate=500, token="t")
    ... fake.url, fake.messages, fake.requests, fake.max_per_second("push") ...
    fake.stop()
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from kairos_dev.local.fake_line_menus import FakeRichMenus
from kairos_dev.local.fake_line_replies import (
    INVALID_REPLY_TOKEN,
    REPLY_PATH,
    ReplyTokens,
    reply_problems,
)
from kairos_dev.local.fake_line_replies import REPLY_TOKEN_SECONDS as REPLY_TOKEN_SECONDS

Endpoint = Literal["push", "multicast", "reply"]
VERIFY_PATH = "/oauth2/v2.1/verify"
"""LINE Login's ID-token verification (a LIFF app's token, kairos.ingest.liff)."""
PATHS: dict[str, Endpoint] = {
    "/v2/bot/message/push": "push",
    "/v2/bot/message/multicast": "multicast",
    REPLY_PATH: "reply",
}
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
_UNIT = re.compile(r"^[A-Za-z0-9_]{1,30}$")
NOT_FOUND: dict[str, Any] = {"message": "Not found"}
INVALID_JSON: dict[str, Any] = {
    "message": "The request body has 1 error(s)",
    "details": [{"message": "Invalid JSON", "property": ""}],
}


@dataclass(frozen=True)
class Delivered:
    """One message object to one recipient."""

    to: str
    message: dict[str, Any]
    endpoint: Endpoint
    time: float
    request_id: str
    retry_key: str | None
    message_id: str


@dataclass(frozen=True)
class Accepted:
    endpoint: Endpoint
    time: float
    recipients: int
    request_id: str
    retry_key: str | None


@dataclass
class Fault:
    kind: Literal["error", "slow"]
    status: int = 500
    delay: float = 0.0
    endpoint: Endpoint | None = None
    remaining: int = 1


@dataclass
class FakeLine:
    token: str
    rates: dict[Endpoint, float | None]
    monthly_limit: int | None = None
    latency: float = 0.0
    """Seconds every answer waits (LINE's API answers in tens of milliseconds)."""
    clock: Callable[[], float] = time.time
    """The epoch seconds requests are recorded at and rate windows counted in (a
    simulation's pace: the seconds its sender's rate limiter counts in)."""
    server: ThreadingHTTPServer | None = None
    messages: list[Delivered] = field(default_factory=list)
    requests: list[Accepted] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    """Answers other than 200, by status."""
    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _windows: dict[tuple[Endpoint, int], int] = field(default_factory=dict)
    _retry_keys: dict[str, str] = field(default_factory=dict)
    _used: int = 0
    reply_tokens: ReplyTokens = field(default_factory=ReplyTokens)
    """The reply tokens `issue_reply_token` made, and which were used (fake_line_replies.py)."""
    bot_info: dict[str, Any] = field(
        default_factory=lambda: {
            "userId": "U0000000000000000000000000000b0t",
            "basicId": "@kairosdev",
            "displayName": "Kairos (local)",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
    )
    menus: FakeRichMenus = field(default_factory=FakeRichMenus)
    """Rich menus, links and unit statistics (fake_line_menus.py)."""
    webhook_endpoint: str = ""
    webhook_active: bool = False
    id_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    """LIFF ID tokens `issue_id_token` made: what `POST /oauth2/v2.1/verify` answers."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(600_000_000_000_000))

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ---- for tests -------------------------------------------------------------------

    def inject_error(
        self, status: int = 500, times: int = 1, endpoint: Endpoint | None = None
    ) -> None:
        """The next `times` requests answer `status` and send nothing."""
        with self._lock:
            self.faults.append(Fault("error", status=status, endpoint=endpoint, remaining=times))

    def inject_slow(self, delay: float, times: int = 1, endpoint: Endpoint | None = None) -> None:
        """The next `times` requests are accepted (sent!) but answered after `delay` s."""
        with self._lock:
            self.faults.append(Fault("slow", delay=delay, endpoint=endpoint, remaining=times))

    def set_rate(self, endpoint: Endpoint, rate: float | None) -> None:
        with self._lock:
            self.rates[endpoint] = rate

    def per_second(self, endpoint: Endpoint | None = None) -> Counter[int]:
        """Accepted requests per aligned epoch second."""
        with self._lock:
            return Counter(
                int(r.time) for r in self.requests if endpoint is None or r.endpoint == endpoint
            )

    def max_per_second(self, endpoint: Endpoint | None = None) -> int:
        return max(self.per_second(endpoint).values(), default=0)

    def windows_over(self, rate: float, endpoint: Endpoint | None = None) -> int:
        return sum(1 for n in self.per_second(endpoint).values() if n > rate)

    def recipients(self) -> Counter[str]:
        """Messages received per user (pushed, multicast or replied)."""
        with self._lock:
            return Counter(m.to for m in self.messages)

    def replies(self) -> Counter[str]:
        """Messages received per user by reply."""
        with self._lock:
            return Counter(m.to for m in self.messages if m.endpoint == "reply")

    def issue_reply_token(self, user_id: str, at: float | None = None) -> str:
        """A new reply token for `user_id`'s event at `at` (default: the fake's clock now),
        as LINE puts in the webhook: usable once, for `REPLY_TOKEN_SECONDS` after `at`."""
        with self._lock:
            return self.reply_tokens.issue(user_id, self.clock() if at is None else at)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self.refused.clear()
            self.faults.clear()
            self._windows.clear()
            self._retry_keys.clear()
            self.reply_tokens.clear()
            self._used = 0

    # ---- the API ---------------------------------------------------------------------

    def _unauthorized(self, headers: Any) -> dict[str, Any] | None:
        if headers.get("Authorization") == f"Bearer {self.token}":
            return None
        return {
            "message": "Authentication failed. Confirm that the access token"
            " in the authorization header is valid."
        }

    def handle_settings(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """The channel's settings and allowance (GET, and PUT of the webhook URL)."""
        if (method, path) == ("POST", VERIFY_PATH):
            return self.verify_id_token(body)
        refused = self._unauthorized(headers)
        if refused is not None:
            return 401, refused
        with self._lock:
            if (method, path) == ("GET", "/v2/bot/info"):
                return 200, dict(self.bot_info)
            if (method, path) == ("GET", "/v2/bot/channel/webhook/endpoint"):
                return 200, {"endpoint": self.webhook_endpoint, "active": self.webhook_active}
            if (method, path) == ("PUT", "/v2/bot/channel/webhook/endpoint"):
                endpoint = str(json.loads(body or b"{}").get("endpoint", ""))
                if not endpoint.startswith("https://"):
                    problem = {"message": "must be HTTPS", "property": "endpoint"}
                    return 400, {"message": "The request body has 1 error(s)", "details": [problem]}
                self.webhook_endpoint = endpoint
                return 200, {}
            if (method, path) == ("GET", "/v2/bot/message/quota"):
                if self.monthly_limit is None:
                    return 200, {"type": "none"}
                return 200, {"type": "limited", "value": self.monthly_limit}
            if (method, path) == ("GET", "/v2/bot/message/quota/consumption"):
                return 200, {"totalUsage": self._used}
            answer = self.menus.handle(method, path, body)
        return answer or (404, {"message": "Not found"})

    def issue_id_token(self, sub: str, channel_id: str, expires_at: int) -> str:
        """A LIFF ID token for `sub` (a LINE user id) from the LIFF app of `channel_id`."""
        token = f"liff.{uuid.uuid4().hex}"
        self.id_tokens[token] = {
            "iss": "https://access.line.me", "sub": sub, "aud": channel_id,
            "exp": expires_at, "iat": expires_at - 3600, "amr": ["linesso"],
        }  # fmt: skip
        return token

    def verify_id_token(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """LINE's `POST /oauth2/v2.1/verify`: 400 for an unknown or expired token or
        another channel's `client_id`, else the token's claims."""
        form = dict(urllib.parse.parse_qsl(body.decode()))
        claims = self.id_tokens.get(form.get("id_token", ""))
        if claims is None or claims["exp"] <= self.clock():
            return 400, {"error": "invalid_request", "error_description": "Invalid IdToken."}
        if form.get("client_id") != claims["aud"]:
            return 400, {
                "error": "invalid_request",
                "error_description": "Invalid IdToken Audience.",
            }
        return 200, dict(claims)

    def rest(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        """Any request but a push, multicast or reply, in process (richmenus' transport)."""
        return self.handle_settings(method, path, headers, body)

    def handle(
        self, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        """An HTTP request: (status, headers, json body, seconds to wait before answering)."""
        endpoint = PATHS.get(path)
        if endpoint is None:
            return self._count(404, {"X-Line-Request-Id": str(uuid.uuid4())}, NOT_FOUND, 0.0)
        if self._unauthorized(headers) is not None:
            return self.receive(endpoint, headers, None)  # refused before the body is read
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return self._count(400, {"X-Line-Request-Id": str(uuid.uuid4())}, INVALID_JSON, 0.0)
        return self.receive(endpoint, headers, payload)

    def receive(
        self, endpoint: Endpoint, headers: Any, payload: Any
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        """A push, multicast or reply already parsed from its JSON body, as `handle` answers it
        (the in-process transport's way in: line_inprocess.py)."""
        return self._count(*self._receive(endpoint, headers, payload))

    def _count(
        self, status: int, headers: dict[str, str], answer: dict[str, Any], delay: float
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        if status != 200:
            with self._lock:
                self.refused[status] += 1
        return status, headers, answer, delay

    def _receive(
        self, endpoint: Endpoint, headers: Any, payload: Any
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        request_id = str(uuid.uuid4())
        out_headers = {"X-Line-Request-Id": request_id}
        refused = self._unauthorized(headers)
        if refused is not None:
            return 401, out_headers, refused, 0.0
        problems = _validate(endpoint, payload)
        if problems:
            return (
                400,
                out_headers,
                {"message": f"The request body has {len(problems)} error(s)", "details": problems},
                0.0,
            )
        # LINE takes no retry key on a reply, and ignores headers it does not know.
        retry_key = headers.get("X-Line-Retry-Key") if endpoint != "reply" else None
        if retry_key is not None:
            try:
                uuid.UUID(retry_key)
            except ValueError:
                return (
                    400,
                    out_headers,
                    {"message": "The value for the 'X-Line-Retry-Key' header is invalid"},
                    0.0,
                )
        free = endpoint == "reply"  # replies are not counted in the monthly allowance
        recipients = [payload["to"]] if endpoint == "push" else list(payload.get("to") or [])
        with self._lock:
            fault = self._take_fault(endpoint)
            if fault is not None and fault.kind == "error":
                return fault.status, out_headers, {"message": "Internal server error"}, 0.0
            if retry_key is not None and retry_key in self._retry_keys:
                out_headers["X-Line-Accepted-Request-Id"] = self._retry_keys[retry_key]
                return 409, out_headers, {"message": "The retry key is already accepted"}, 0.0
            now = self.clock()
            if endpoint == "reply":
                user = self.reply_tokens.usable(payload["replyToken"], now)
                if user is None:
                    return 400, out_headers, dict(INVALID_REPLY_TOKEN), 0.0
                recipients = [user]
            window = (endpoint, int(now))
            rate = self.rates.get(endpoint)
            if rate is not None and self._windows.get(window, 0) >= rate:
                return 429, out_headers, {"message": "Too Many Requests"}, 0.0
            limit = self.monthly_limit
            if not free and limit is not None and self._used + len(recipients) > limit:
                return 429, out_headers, {"message": MONTHLY_LIMIT_MESSAGE}, 0.0
            self._windows[window] = self._windows.get(window, 0) + 1
            if free:
                self.reply_tokens.use(payload["replyToken"])
            else:
                self._used += len(recipients)
            if retry_key is not None:
                self._retry_keys[retry_key] = request_id
            self.requests.append(Accepted(endpoint, now, len(recipients), request_id, retry_key))
            for unit in [] if free else payload.get("customAggregationUnits") or []:
                self.menus.unit_recipients[unit] += len(recipients)
            sent = []
            for message in payload["messages"]:
                message_id = str(next(self._ids))
                sent.append({"id": message_id, "quoteToken": uuid.uuid4().hex})
                for to in recipients:
                    self.messages.append(
                        Delivered(to, message, endpoint, now, request_id, retry_key, message_id)
                    )
        answer: dict[str, Any] = {"sentMessages": sent} if endpoint != "multicast" else {}
        delay = fault.delay if fault is not None else self.latency
        return 200, out_headers, answer, delay

    def _take_fault(self, endpoint: Endpoint) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.endpoint in (None, endpoint):
                fault.remaining -= 1
                return fault
        return None


def _validate(endpoint: Endpoint, payload: Any) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if not isinstance(payload, dict):
        return [{"message": "Must be an object", "property": ""}]
    to = payload.get("to")
    if endpoint == "reply":
        problems.extend(reply_problems(payload))
    elif endpoint == "push":
        if not isinstance(to, str) or not to:
            problems.append({"message": "Must be a non-empty string", "property": "to"})
    elif (
        not isinstance(to, list)
        or not 1 <= len(to) <= 500
        or not all(isinstance(t, str) and t for t in to)
    ):
        problems.append({"message": "Size must be between 1 and 500", "property": "to"})
    units = payload.get("customAggregationUnits")
    if (
        endpoint != "reply"
        and units is not None
        and (
            not isinstance(units, list)
            or len(units) > 1
            or not all(isinstance(u, str) and _UNIT.match(u) for u in units)
        )
    ):
        problems.append(
            {"message": "One unit of 1-30 A-Za-z0-9_", "property": "customAggregationUnits"}
        )
    messages = payload.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        problems.append({"message": "Size must be between 1 and 5", "property": "messages"})
        return problems
    for i, message in enumerate(messages):
        prop = f"messages[{i}]"
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "text":
            text = message.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                problems.append(
                    {"message": "Length must be between 1 and 5000", "property": f"{prop}.text"}
                )
        elif kind == "flex":
            # Imported here: line-bot-sdk takes over a second to import, and only Flex
            # messages need its models.
            from linebot.v3.messaging import FlexMessage

            try:
                FlexMessage.from_dict(message)
            except Exception as exc:
                problems.append(
                    {
                        "message": f"Invalid flex message: {str(exc)[:200]}",
                        "property": f"{prop}.contents",
                    }
                )
        elif kind not in ("image", "video", "audio", "location", "sticker", "imagemap", "template"):
            problems.append({"message": "Invalid message type", "property": f"{prop}.type"})
    return problems


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as LINE; the SDK reuses connections
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and
    # delayed ACKs hold the second one ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True

    def _settings(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, answer = self.server.fake.handle_settings(method, self.path, self.headers, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Line-Request-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._settings("GET")

    def do_PUT(self) -> None:
        self._settings("PUT")

    def do_DELETE(self) -> None:
        self._settings("DELETE")

    def do_POST(self) -> None:
        if self.path not in PATHS:  # rich menus and aliases (fake_line_menus.py)
            self._settings("POST")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, headers, answer, delay = self.server.fake.handle(self.path, self.headers, body)
        if delay:
            time.sleep(delay)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and benchmarks send thousands of requests


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    fake: FakeLine


def start_fake_line(
    rate: float | None = None,
    token: str = "kairos-dev-line-channel-token",
    multicast_rate: float | None = None,
    monthly_limit: int | None = None,
    port: int = 0,
    latency: float = 0.0,
    clock: Callable[[], float] = time.time,
    reply_rate: float | None = None,
) -> FakeLine:
    """Serve a fake LINE API on 127.0.0.1 (`port=0`: a free one) in a daemon thread.

    `rate` limits push requests per second, `multicast_rate` multicast requests and
    `reply_rate` reply requests (None: unlimited); `monthly_limit` is the month's message
    allowance (replies are free); `latency` delays every accepted request's answer (after
    it was counted and sent); `clock` gives the seconds requests are recorded at, rate
    windows counted in and reply tokens expire by."""
    fake = FakeLine(
        token=token,
        rates={"push": rate, "multicast": multicast_rate, "reply": reply_rate},
        monthly_limit=monthly_limit,
        latency=latency,
        clock=clock,
    )
    server = _Server(("127.0.0.1", port), _Handler)
    server.fake = fake
    fake.server = server
    threading.Thread(target=server.serve_forever, name="fake-line", daemon=True).start()
    return fake
