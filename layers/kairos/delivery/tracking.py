"""Tracked links and one-click unsubscribe links.

A token is `<payload>.<signature>`: the payload is the base64url of a compact JSON list
`[kind, delivery_id, member_id, target, expires]` and the signature the first 16 bytes of
its HMAC-SHA256 under the brand's tracking key, base64url. `expires` is in epoch seconds.
Nothing secret is inside (only ids, the destination and the expiry), but nobody can forge
a click or an unsubscribe for another member or point a Kairos link at a site of their
choosing.

The tracking key is a secret of its own (`tracking_key`, see kairos.secrets), never the
key integrators sign webhook requests with: whoever can sign an order must not be able
to mint redirects.

- click (`t`): `<KAIROS_TRACKING_BASE_URL><token>` (`…/t/<token>`): the webhook turns it
  into a `message.clicked` event and a 302 to the target, which must be an absolute
  `http(s)` URL: checked when the link is made (at render) and again when it is read.
  Valid `CLICK_LIFETIME` (180 days) from the send.
- unsubscribe (`u`): the same base with `/u/` instead of `/t/` (`…/u/<token>`): `GET`
  shows a confirmation page, `POST` (RFC 8058 one-click) records `unsubscribed` for the
  channel in the target field (`line`, `email`, `sms` or `all`). Valid
  `UNSUBSCRIBE_LIFETIME` (two years) from the send: old mail must still unsubscribe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["t", "u"]
_SIGNATURE_BYTES = 16

CLICK_LIFETIME = timedelta(days=180)
UNSUBSCRIBE_LIFETIME = timedelta(days=730)
LIFETIMES: dict[str, timedelta] = {"t": CLICK_LIFETIME, "u": UNSUBSCRIBE_LIFETIME}
UNSUBSCRIBE_CHANNELS = frozenset({"line", "email", "sms", "all"})


class BadToken(ValueError):
    """Not a token we issued (malformed, the signature does not match, or what it names
    is not something a link may do)."""


class ExpiredToken(BadToken):
    """A token we issued, past its lifetime."""


class UnsafeLink(ValueError):
    """A click target that is not an absolute http(s) URL (`javascript:`, `data:`, …)."""


@dataclass(frozen=True)
class Link:
    kind: Kind
    delivery_id: str
    member_id: str
    url: str
    """The destination of a click; the channel for an unsubscribe."""
    expires: datetime


def check_target(url: str) -> str:
    """`url` if a click may redirect to it: absolute `http` or `https` with a host, and
    no whitespace or control characters (browsers strip those, so `" javascript:"` or
    `"java\\tscript:"` would otherwise slip past a scheme check). UnsafeLink if not."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise UnsafeLink(f"not a trackable link (whitespace or control character): {url!r:.80}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeLink(f"not a trackable link: {url!r:.80}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UnsafeLink(f"only http(s) links can be tracked: {url!r:.80}")
    return url


def _check(kind: str, target: str) -> None:
    if kind == "t":
        check_target(target)
    elif target not in UNSUBSCRIBE_CHANNELS:
        raise UnsafeLink(f"unknown unsubscribe channel {target!r:.20}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES])


def make_token(
    key: bytes,
    delivery_id: str,
    member_id: str,
    url: str,
    kind: Kind = "t",
    *,
    issued_at: datetime,
) -> str:
    """A signed token valid for its kind's lifetime from `issued_at`; UnsafeLink for a
    click target that is not http(s) or an unknown unsubscribe channel."""
    if not key:
        raise ValueError("links need a non-empty tracking key")
    _check(kind, url)
    expires = int((issued_at + LIFETIMES[kind]).timestamp())
    raw = json.dumps(
        [kind, delivery_id, member_id, url, expires], separators=(",", ":"), ensure_ascii=False
    )
    payload = _b64(raw.encode())
    return f"{payload}.{_sign(key, payload)}"


def read_token(key: bytes, token: str, now: datetime) -> Link:
    """The link a token stands for: BadToken if it was not issued with `key` or names
    something no link may do (a target that is not http(s), an unknown channel),
    ExpiredToken if it is past its lifetime at `now`."""
    payload, dot, signature = token.partition(".")
    if not dot or not hmac.compare_digest(_sign(key, payload), signature):
        raise BadToken("bad tracking token")
    try:
        kind, delivery_id, member_id, url, expires = json.loads(_unb64(payload))
        if kind not in LIFETIMES or not isinstance(url, str) or type(expires) is not int:
            raise BadToken("bad tracking token")
        _check(kind, url)
        expiry = datetime.fromtimestamp(expires, tz=now.tzinfo)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise BadToken("bad tracking token") from exc
    if now >= expiry:
        raise ExpiredToken("expired tracking token")
    return Link(kind, str(delivery_id), str(member_id), url, expiry)


@dataclass(frozen=True)
class Tracker:
    """Builds the links one message carries, when it is rendered (`issued_at`)."""

    key: bytes
    base_url: str
    """`KAIROS_TRACKING_BASE_URL`, e.g. `https://hooks.shop.example/t/`."""

    @property
    def unsubscribe_base(self) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        if base.endswith("/t/"):
            return base[: -len("t/")] + "u/"
        return base + "u/"

    def click_url(self, delivery_id: str, member_id: str, url: str, issued_at: datetime) -> str:
        """A tracked link to `url`; UnsafeLink (the render fails) unless it is http(s)."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return base + make_token(self.key, delivery_id, member_id, url, "t", issued_at=issued_at)

    def unsubscribe_url(
        self, delivery_id: str, member_id: str, channel: str, issued_at: datetime
    ) -> str:
        return self.unsubscribe_base + make_token(
            self.key, delivery_id, member_id, channel, "u", issued_at=issued_at
        )
