"""The fake LINE's rich menus and unit statistics (fake_line.py routes to it): what
`kairos richmenus deploy`, the sender's bulk linking and the unit statistics job call.

- `GET /v2/bot/richmenu/list`, `POST /v2/bot/richmenu` (validated: size, 1–20 areas
  inside the image, `chatBarText` ≤ 14) → `{"richMenuId"}`, `DELETE /v2/bot/richmenu/{id}`,
  `POST /v2/bot/richmenu/{id}/content` (the image, PNG or JPEG, ≤ 1 MB; LINE takes it
  once: a second upload is 400);
- aliases: `POST /v2/bot/richmenu/alias`, `POST|GET|DELETE /v2/bot/richmenu/alias/{id}`;
- the default: `POST|GET|DELETE /v2/bot/user/all/richmenu[/{id}]`;
- per user: `GET /v2/bot/user/{userId}/richmenu`, and in bulk `POST
  /v2/bot/richmenu/bulk/link` (`richMenuId`, `userIds` 1–500) and `/bulk/unlink`
  (`userIds` 1–500) → 202; as on LINE the link is made for the ids that can have it and
  silently not for the others (an id that is not a friend, or blocked: `blocked`), and
  `inject_bulk_error` makes the next bulk requests fail whole (5xx, 429);
- `GET /v2/bot/insight/message/event/aggregation?customAggregationUnit=&from=&to=`:
  the unit's messages, opens (`open_rate` of the recipients, deterministic) and clicks
  (`click_rate`), every value under 20 hidden as null, as LINE does;
  `inject_statistics_error` makes a unit's next requests fail (5xx, 429).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BULK_MAX = 500
HIDDEN_BELOW = 20
_MENU = re.compile(r"^/v2/bot/richmenu/(richmenu-[0-9a-f]+)(/content)?$")
_ALIAS = re.compile(r"^/v2/bot/richmenu/alias/([A-Za-z0-9_-]+)$")
_DEFAULT = re.compile(r"^/v2/bot/user/all/richmenu(?:/(richmenu-[0-9a-f]+))?$")
_USER = re.compile(r"^/v2/bot/user/([^/]+)/richmenu$")

Answer = tuple[int, dict[str, Any]]


def _bad(message: str, prop: str = "") -> Answer:
    details = [{"message": message, "property": prop}] if prop else []
    return 400, {
        "message": message if not prop else "The request body has 1 error(s)",
        "details": details,
    }


@dataclass
class FakeRichMenus:
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    """user id → rich menu id."""
    blocked: set[str] = field(default_factory=set)
    """Users LINE will not link (blocked the account, or never a friend)."""
    bulk_requests: list[tuple[str, int]] = field(default_factory=list)
    """Accepted bulk requests: (`link` | `unlink`, user ids)."""
    bulk_faults: list[int] = field(default_factory=list)
    unit_recipients: Counter[str] = field(default_factory=Counter)
    """Recipients per `customAggregationUnits` unit (fake_line counts them)."""
    open_rate: float = 0.6
    click_rate: float = 0.1
    statistics_faults: dict[str, list[int]] = field(default_factory=dict)
    """Unit → the statuses its next statistics requests answer."""
    calls: Counter[str] = field(default_factory=Counter)

    def inject_bulk_error(self, status: int = 500, times: int = 1) -> None:
        self.bulk_faults.extend([status] * times)

    def inject_statistics_error(self, unit: str, status: int = 500, times: int = 1) -> None:
        self.statistics_faults.setdefault(unit, []).extend([status] * times)

    def handle(self, method: str, path: str, body: bytes) -> Answer | None:
        """An authorised request, or None when the path is not one of these."""
        route, _, query = path.partition("?")
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        self.calls[f"{method} {re.sub(r'richmenu-[0-9a-f]+', '{id}', route)}"] += 1
        try:
            payload: Any = json.loads(body) if body and not route.endswith("/content") else {}
        except ValueError:
            return _bad("Invalid JSON")
        if route == "/v2/bot/richmenu/list" and method == "GET":
            return 200, {"richmenus": [dict(m) for m in self.menus.values()]}
        if route == "/v2/bot/richmenu" and method == "POST":
            return self._create(payload)
        if route in ("/v2/bot/richmenu/bulk/link", "/v2/bot/richmenu/bulk/unlink"):
            return self._bulk(route.rsplit("/", 1)[1], payload) if method == "POST" else None
        if route == "/v2/bot/richmenu/alias" and method == "POST":
            alias, menu = str(payload.get("richMenuAliasId", "")), payload.get("richMenuId")
            if alias in self.aliases:
                return _bad("conflict richmenu alias id")
            if menu not in self.menus:
                return _bad("richmenu not found", "richMenuId")
            self.aliases[alias] = menu
            return 200, {}
        if route == "/v2/bot/insight/message/event/aggregation" and method == "GET":
            return self._statistics(params)
        if m := _ALIAS.match(route):
            return self._alias(method, m.group(1), payload)
        if m := _DEFAULT.match(route):
            return self._default(method, m.group(1))
        if m := _USER.match(route):
            menu = self.links.get(m.group(1))
            return (200, {"richMenuId": menu}) if menu else (404, {"message": "Not found"})
        if m := _MENU.match(route):
            return self._menu(method, m.group(1), bool(m.group(2)), body)
        return None

    def _create(self, payload: dict[str, Any]) -> Answer:
        size = payload.get("size") or {}
        width, height = int(size.get("width", 0)), int(size.get("height", 0))
        if not (800 <= width <= 2500 and height >= 250 and width / max(height, 1) >= 1.45):
            return _bad("invalid size", "size")
        areas = payload.get("areas")
        if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
            return _bad("Size must be between 1 and 20", "areas")
        for i, area in enumerate(areas):
            b = area.get("bounds", {})
            if (
                b.get("x", 0) + b.get("width", 0) > width
                or b.get("y", 0) + b.get("height", 0) > height
            ):
                return _bad("bounds out of the image", f"areas[{i}].bounds")
        if not 1 <= len(str(payload.get("chatBarText", ""))) <= 14:
            return _bad("Length must be between 1 and 14", "chatBarText")
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.menus[menu_id] = {**payload, "richMenuId": menu_id}
        return 200, {"richMenuId": menu_id}

    def _menu(self, method: str, menu_id: str, content: bool, body: bytes) -> Answer | None:
        if menu_id not in self.menus:
            return 404, {"message": "Not found"}
        if content and method == "POST":
            if menu_id in self.images:
                return _bad("An image has already been uploaded to the richmenu")
            if not (body.startswith(b"\x89PNG") or body.startswith(b"\xff\xd8")):
                return 415, {"message": "Unsupported Media Type"}
            if len(body) > 1024 * 1024:
                return 413, {"message": "Payload Too Large"}
            self.images[menu_id] = body
            return 200, {}
        if not content and method == "GET":
            return 200, dict(self.menus[menu_id])
        if not content and method == "DELETE":
            del self.menus[menu_id]
            self.images.pop(menu_id, None)
            self.links = {u: m for u, m in self.links.items() if m != menu_id}
            self.aliases = {a: m for a, m in self.aliases.items() if m != menu_id}
            if self.default == menu_id:
                self.default = None
            return 200, {}
        return None

    def _alias(self, method: str, alias: str, payload: dict[str, Any]) -> Answer | None:
        if alias not in self.aliases:
            return 404, {"message": "Not found"}
        if method == "GET":
            return 200, {"richMenuAliasId": alias, "richMenuId": self.aliases[alias]}
        if method == "POST":
            menu = payload.get("richMenuId")
            if menu not in self.menus:
                return _bad("richmenu not found", "richMenuId")
            self.aliases[alias] = str(menu)
            return 200, {}
        if method == "DELETE":
            del self.aliases[alias]
            return 200, {}
        return None

    def _default(self, method: str, menu_id: str | None) -> Answer | None:
        if method == "GET":
            return (
                (200, {"richMenuId": self.default})
                if self.default
                else (404, {"message": "Not found"})
            )
        if method == "POST" and menu_id is not None:
            if menu_id not in self.menus:
                return 404, {"message": "Not found"}
            if menu_id not in self.images:
                return _bad("must upload richmenu image before applying it to user")
            self.default = menu_id
            return 200, {}
        if method == "DELETE":
            self.default = None
            return 200, {}
        return None

    def _bulk(self, kind: str, payload: dict[str, Any]) -> Answer:
        users = payload.get("userIds")
        if not isinstance(users, list) or not 1 <= len(users) <= BULK_MAX:
            return _bad("Size must be between 1 and 500", "userIds")
        menu = payload.get("richMenuId")
        if kind == "link":
            if menu not in self.menus:
                return _bad("richmenu not found", "richMenuId")
            if menu not in self.images:
                return _bad("must upload richmenu image before applying it to user")
        if self.bulk_faults:
            status = self.bulk_faults.pop(0)
            message = "Too Many Requests" if status == 429 else "Internal server error"
            return status, {"message": message}
        self.bulk_requests.append((kind, len(users)))
        for user in users:
            if str(user) in self.blocked:
                continue  # LINE links whom it can, and says nothing of the others
            if kind == "link":
                self.links[str(user)] = str(menu)
            else:
                self.links.pop(str(user), None)
        return 202, {}

    def _statistics(self, params: dict[str, str]) -> Answer:
        unit = params.get("customAggregationUnit", "")
        if not unit or not params.get("from") or not params.get("to"):
            return _bad("customAggregationUnit, from and to are required")
        if self.statistics_faults.get(unit):
            status = self.statistics_faults[unit].pop(0)
            message = "Too Many Requests" if status == 429 else "Internal server error"
            return status, {"message": message}
        sent = self.unit_recipients.get(unit, 0)
        opened = int(sent * self.open_rate)
        clicked = int(sent * self.click_rate)

        def shown(value: int) -> int | None:
            return value if value >= HIDDEN_BELOW else None

        return 200, {
            "overview": {
                "uniqueImpression": shown(opened),
                "uniqueClick": shown(clicked),
                "uniqueMediaPlayed": None,
                "uniqueMediaPlayed100Percent": None,
            },
            "messages": [
                {
                    "seq": 1,
                    "impression": shown(opened),
                    "uniqueImpression": shown(opened),
                    "mediaPlayed": None,
                    "uniqueMediaPlayed": None,
                }
            ]
            if sent
            else [],
            "clicks": [
                {
                    "seq": 1,
                    "url": "https://example.invalid/",
                    "click": shown(clicked),
                    "uniqueClick": shown(clicked),
                    "uniqueClickOfRequest": shown(clicked),
                }
            ]
            if sent
            else [],
        }
