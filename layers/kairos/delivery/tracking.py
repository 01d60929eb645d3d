"""Tracked links and one-click unsubscribe links.

A token is `<payload>.<signature>`: the payload is the base64url of a compact JSON list
`[kind, delivery_id, member_id, url]` and the signature the first 16 bytes of its
HMAC-SHA256 under the brand's tracking key, base64url. Nothing secret is inside (only
ids and the destination), but nobody can forge a click or an unsubscribe for another
member or point a Kairos link at a site of their choosing.

- click: `<KAIROS_TRACKING_BASE_URL><token>` (`…/t/<token>`): the webhook turns it into
  a `message.clicked` event and a 302 to the url.
- unsubscribe: the same base with `/u/` instead of `/t/` (`…/u/<token>`): the webhook
  turns it into an `unsubscribed` event for the channel in the url field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal

Kind = Literal["t", "u"]
_SIGNATURE_BYTES = 16


class BadToken(ValueError):
    """Not a token we issued (malformed or the signature does not match)."""


@dataclass(frozen=True)
class Link:
    kind: Kind
    delivery_id: str
    member_id: str
    url: str
    """The destination of a click; the channel for an unsubscribe."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES])


def make_token(key: bytes, delivery_id: str, member_id: str, url: str, kind: Kind = "t") -> str:
    raw = json.dumps([kind, delivery_id, member_id, url], separators=(",", ":"), ensure_ascii=False)
    payload = _b64(raw.encode())
    return f"{payload}.{_sign(key, payload)}"


def read_token(key: bytes, token: str) -> Link:
    """The link a token stands for; BadToken if it was not issued with `key`."""
    payload, dot, signature = token.partition(".")
    if not dot or not hmac.compare_digest(_sign(key, payload), signature):
        raise BadToken("bad tracking token")
    try:
        kind, delivery_id, member_id, url = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise BadToken("bad tracking token") from exc
    if kind not in ("t", "u"):
        raise BadToken("bad tracking token")
    return Link(kind, str(delivery_id), str(member_id), str(url))


@dataclass(frozen=True)
class Tracker:
    """Builds the links one message carries."""

    key: bytes
    base_url: str
    """`KAIROS_TRACKING_BASE_URL`, e.g. `https://hooks.shop.example/t/`."""

    @property
    def unsubscribe_base(self) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        if base.endswith("/t/"):
            return base[: -len("t/")] + "u/"
        return base + "u/"

    def click_url(self, delivery_id: str, member_id: str, url: str) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return base + make_token(self.key, delivery_id, member_id, url, "t")

    def unsubscribe_url(self, delivery_id: str, member_id: str, channel: str) -> str:
        return self.unsubscribe_base + make_token(self.key, delivery_id, member_id, channel, "u")
