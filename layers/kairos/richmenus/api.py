"""LINE's rich menu, unit statistics and quota endpoints, over one small transport.

These are plain JSON calls (and one image upload to LINE's data host), so they go
through `Transport` — `(method, path, body, content type) → (status, JSON answer)` —
rather than line-bot-sdk: the SDK pins the image upload to `api-data.line.me`, which a
fake cannot stand in for, and a transport lets a simulation answer in process
(kairos_dev's fake LINE) exactly as over HTTP. `HttpTransport` is the real one:
`KAIROS_LINE_API_ENDPOINT` for JSON, the data host for images, the channel token read
per request (a rotated secret takes effect).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

BULK_MAX = 500
"""User ids per bulk link or unlink request (LINE's limit)."""


class Transport(Protocol):
    def __call__(
        self, method: str, path: str, body: bytes, content_type: str
    ) -> tuple[int, dict[str, Any]]: ...


class LineApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"LINE {status}: {message}")
        self.status = status
        self.message = message

    @property
    def retryable(self) -> bool:
        """Throttled, or LINE's own trouble: the same request may succeed later."""
        return self.status == 429 or self.status >= 500 or self.status == 0


@dataclass
class HttpTransport:
    host: str
    token: Callable[[], str]
    data_host: str | None = None
    """Where images go (`https://api-data.line.me`; default: `host`, as a fake serves both)."""
    timeout: float = 10.0

    def __call__(
        self, method: str, path: str, body: bytes, content_type: str
    ) -> tuple[int, dict[str, Any]]:
        host = self.data_host if path.endswith("/content") and self.data_host else self.host
        request = urllib.request.Request(
            host.rstrip("/") + path,
            data=body if method in ("POST", "PUT") else None,
            method=method,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return int(response.status), json.loads(raw) if raw.strip() else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                answer = json.loads(raw) if raw.strip() else {}
            except ValueError:
                answer = {}
            return int(exc.code), answer
        except (OSError, TimeoutError) as exc:
            return 0, {"message": f"unreachable ({type(exc).__name__})"}


class LineApi:
    """The calls Kairos makes besides sending messages."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.requests = 0

    def _call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        body = (
            raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        )
        self.requests += 1
        status, answer = self.transport(method, path, body, content_type)
        if status == 404 and missing_ok:
            return None
        if not 200 <= status < 300:
            raise LineApiError(status, str(answer.get("message", "")))
        return answer

    # ---- rich menus ------------------------------------------------------------------

    def menus(self) -> list[dict[str, Any]]:
        answer = self._call("GET", "/v2/bot/richmenu/list") or {}
        return list(answer.get("richmenus", []))

    def create_menu(self, body: dict[str, Any]) -> str:
        answer = self._call("POST", "/v2/bot/richmenu", body) or {}
        return str(answer["richMenuId"])

    def upload_image(self, menu_id: str, image: bytes, content_type: str) -> None:
        self._call(
            "POST", f"/v2/bot/richmenu/{menu_id}/content", raw=image, content_type=content_type
        )

    def delete_menu(self, menu_id: str) -> None:
        self._call("DELETE", f"/v2/bot/richmenu/{menu_id}", missing_ok=True)

    def alias(self, alias: str) -> str | None:
        answer = self._call("GET", f"/v2/bot/richmenu/alias/{alias}", missing_ok=True)
        return None if answer is None else str(answer["richMenuId"])

    def set_alias(self, alias: str, menu_id: str) -> None:
        """Create the alias, or point it at `menu_id`."""
        if self.alias(alias) is None:
            self._call(
                "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": alias, "richMenuId": menu_id}
            )
        else:
            self._call("POST", f"/v2/bot/richmenu/alias/{alias}", {"richMenuId": menu_id})

    def default_menu(self) -> str | None:
        answer = self._call("GET", "/v2/bot/user/all/richmenu", missing_ok=True)
        return None if answer is None else str(answer["richMenuId"])

    def set_default(self, menu_id: str) -> None:
        self._call("POST", f"/v2/bot/user/all/richmenu/{menu_id}")

    def link(self, menu_id: str, user_ids: Sequence[str]) -> None:
        """One bulk request (≤ BULK_MAX users); LINE links asynchronously whom it can."""
        assert 1 <= len(user_ids) <= BULK_MAX
        self._call(
            "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu_id, "userIds": list(user_ids)}
        )

    def unlink(self, user_ids: Sequence[str]) -> None:
        assert 1 <= len(user_ids) <= BULK_MAX
        self._call("POST", "/v2/bot/richmenu/bulk/unlink", {"userIds": list(user_ids)})

    # ---- unit statistics and quota ---------------------------------------------------

    def unit_statistics(self, unit: str, first: date, last: date) -> dict[str, Any]:
        """`GET /v2/bot/insight/message/event/aggregation` for days `first`–`last` (JST)."""
        query = urllib.parse.urlencode(
            {"customAggregationUnit": unit, "from": f"{first:%Y%m%d}", "to": f"{last:%Y%m%d}"}
        )
        return self._call("GET", f"/v2/bot/insight/message/event/aggregation?{query}") or {}

    def quota(self) -> dict[str, Any]:
        """`{"type": "none"}` or `{"type": "limited", "value": N}` (messages this month)."""
        return self._call("GET", "/v2/bot/message/quota") or {}

    def consumption(self) -> int:
        answer = self._call("GET", "/v2/bot/message/quota/consumption") or {}
        return int(answer.get("totalUsage", 0))
