"""Proofs of identity for a website visitor (ARCHITECTURE rule 8, docs/tracking.md).

A browser never says who it is; it can only carry a proof that Kairos checks:
- a site token (`kairos_id` on the landing URL): minted when a member opens a Kairos
  tracked link (kairos.delivery.tracking), `<payload>.<signature>` where the payload is
  base64url JSON `["s", member_id, expires, nonce]`, HMAC-SHA256 under the tracking key.
  It names the member directly, expires after SITE_TOKEN_LIFETIME and is single-use:
  the first visitor to redeem a nonce owns it (kairos.store.visitors);
- a LIFF ID token, verified with LINE's verify endpoint (`POST /oauth2/v2.1/verify`,
  `client_id` = the LIFF app's channel): `aud` must be that channel, `sub` is the LINE
  user id;
- a server-side identify: `payload` = base64url JSON `{"external_id"|"email"|"phone"|
  "line_user_id": …, "exp": epoch seconds, "visitor"?: anonymous id}` and `signature` =
  hex HMAC-SHA256 of the payload text under the brand's webhook `hmac_key`. `exp` at
  most IDENTIFY_HORIZON ahead; `visitor`, when given, must be the sending visitor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from kairos.models.events import MemberRef

SITE_TOKEN_LIFETIME = timedelta(hours=1)
IDENTIFY_HORIZON = timedelta(days=7)
_SIGNATURE_BYTES = 16


class BadProof(ValueError):
    """Not a proof Kairos accepts: forged, expired, replayed, for another channel."""


@dataclass(frozen=True)
class Proof:
    """Who a proof says the visitor is: a member id (site token) or an identifier."""

    kind: str
    """`member_id`, or an identifier kind (`line_user_id`, `external_id`, …)."""
    value: str
    nonce: str | None = None
    """A site token's single-use nonce."""
    source: str = "token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, b"site:" + payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def site_token(key: bytes, member_id: str, now: datetime, nonce: str | None = None) -> str:
    """The token a tracked link adds to its landing URL for the brand's site."""
    expires = int((now + SITE_TOKEN_LIFETIME).timestamp())
    body = json.dumps(["s", member_id, expires, nonce or secrets.token_urlsafe(12)])
    payload = _b64(body.encode())
    return f"{payload}.{_signature(key, payload)}"


def read_site_token(key: bytes, token: str, now: datetime) -> Proof:
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(
        signature.encode(), _signature(key, payload).encode()
    ):
        raise BadProof("identity token: not one Kairos issued")
    try:
        kind, member_id, expires, nonce = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        raise BadProof("identity token: malformed") from None
    if kind != "s" or not isinstance(member_id, str) or not isinstance(expires, int):
        raise BadProof("identity token: malformed")
    if now.timestamp() >= expires:
        raise BadProof("identity token: expired")
    return Proof("member_id", member_id, nonce=str(nonce), source="link")


def sign_identify(key: str, claims: dict[str, Any]) -> tuple[str, str]:
    """What the brand's backend does (docs/tracking.md): the payload and its signature."""
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return payload, hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def read_identify(key: str, payload: str, signature: str, visitor: str, now: datetime) -> Proof:
    expected = hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
        raise BadProof("identify: the signature does not match")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        raise BadProof("identify: malformed payload") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise BadProof("identify: the payload needs exp (epoch seconds)")
    if claims["exp"] <= now.timestamp():
        raise BadProof("identify: expired")
    if claims["exp"] > (now + IDENTIFY_HORIZON).timestamp():
        raise BadProof("identify: exp is more than 7 days ahead")
    if claims.get("visitor") not in (None, visitor):
        raise BadProof("identify: signed for another visitor")
    named = {k: v for k, v in claims.items() if k not in ("exp", "visitor")}
    try:
        found = MemberRef.model_validate(named).identifiers()
    except ValueError:
        raise BadProof(
            "identify: name one identifier (external_id, email, phone, line_user_id)"
        ) from None
    kind, value = next(iter(found.items()))
    return Proof(kind, value, source="identify")


class LiffVerifier(Protocol):
    def verify(self, id_token: str, channel_id: str) -> dict[str, Any] | None:
        """LINE's answer to `POST /oauth2/v2.1/verify`, or None when LINE refused it."""
        ...


def read_liff(verifier: LiffVerifier, id_token: str, channel_id: str, now: datetime) -> Proof:
    if not channel_id:
        raise BadProof("liff: this site has no LIFF channel configured")
    claims = verifier.verify(id_token, channel_id)
    if claims is None:
        raise BadProof("liff: LINE did not verify the ID token")
    if str(claims.get("aud")) != channel_id:
        raise BadProof("liff: the ID token is for another channel")
    if int(claims.get("exp", 0)) <= now.timestamp():
        raise BadProof("liff: the ID token expired")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith("U"):
        raise BadProof("liff: no LINE user id in the ID token")
    return Proof("line_user_id", sub, source="liff")
