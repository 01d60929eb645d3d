"""Request signatures: LINE, Kairos (`sha256=<hex>`) and Shopify, all constant-time."""

from __future__ import annotations

import base64
import hashlib
import hmac

from kairos.ingest.errors import InvalidSignature


def _digest(key: str, body: bytes) -> bytes:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()


def sign_line(body: bytes, channel_secret: str) -> str:
    return base64.b64encode(_digest(channel_secret, body)).decode()


def sign_kairos(body: bytes, key: str) -> str:
    return "sha256=" + _digest(key, body).hex()


def sign_shopify(body: bytes, key: str) -> str:
    return base64.b64encode(_digest(key, body)).decode()


def _require(header: str | None, expected: str, name: str) -> None:
    if not header:
        raise InvalidSignature(f"missing {name} header")
    if not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise InvalidSignature(f"{name} does not match the body")


def verify_line(body: bytes, header: str | None, channel_secret: str) -> None:
    _require(header, sign_line(body, channel_secret), "X-Line-Signature")


def verify_kairos(body: bytes, header: str | None, key: str) -> None:
    _require(header, sign_kairos(body, key), "X-Kairos-Signature")


def verify_shopify(body: bytes, header: str | None, key: str) -> None:
    _require(header, sign_shopify(body, key), "X-Shopify-Hmac-Sha256")
