"""The console's development sign-in for `kairos local`: the users given with
`--console-user NAME:ROLE`, the ID tokens it issues them, and the check API Gateway's
Cognito authorizer makes before a console route's function runs.

A token is a JWT (HS256) with the claims a Cognito ID token carries for the console
(`cognito:username`, `email`, `cognito:groups`, `exp`, `iss`), signed with a key made
at random when the local server starts: a token outlives neither the process nor the
machine, and a deployed stack never accepts one (its authorizer checks the user pool's
own RS256 keys). The claims reach the function as a REST API's authorizer passes
them, every value flattened to a string (kairos.console.request parses them back).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kairos.ingest.routes import ROLES, Role

ISSUER = "kairos-local-dev"
TOKEN_SECONDS = 8 * 3600
"""A development token lasts a working day (a pool's ID tokens last an hour by default)."""
DEFAULT_USERS = ("admin:admin", "staff:staff")


class ConsoleUserError(ValueError):
    """A `--console-user` that is not NAME:ROLE with a console role."""


class InvalidToken(Exception):
    """No token, a token not signed by this server, or an expired one (401)."""


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    role: Role

    @property
    def email(self) -> str:
        return f"{self.username}@console.local"

    @property
    def groups(self) -> tuple[str, ...]:
        """The pool group the user is in (one per user, as the docs advise)."""
        return (self.role,)

    def as_json(self) -> dict[str, str]:
        return {"username": self.username, "email": self.email, "role": self.role}


def parse_user(text: str) -> ConsoleUser:
    name, sep, role = text.partition(":")
    name, role = name.strip(), role.strip()
    if not sep or not name:
        raise ConsoleUserError(f"--console-user {text!r}: write it NAME:ROLE, e.g. ana:marketer")
    if role not in ROLES:
        raise ConsoleUserError(
            f"--console-user {text!r}: the role is one of {', '.join(ROLES)}, not {role!r}"
        )
    return ConsoleUser(name, role)


def parse_users(texts: Iterable[str] | None) -> tuple[ConsoleUser, ...]:
    """The users from `--console-user` values (the defaults when none); a name given
    twice is a mistake."""
    users = tuple(parse_user(t) for t in (list(texts or []) or DEFAULT_USERS))
    names = [u.username for u in users]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConsoleUserError(f"--console-user: {', '.join(twice)} given more than once")
    return users


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cognito_time(epoch: int) -> str:
    """How a REST API's Cognito authorizer writes `exp` and `iat` in the claims."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


@dataclass
class DevTokens:
    """Issues and checks the development ID tokens of one local server."""

    users: tuple[ConsoleUser, ...]
    clock: Callable[[], float] = time.time
    """Seconds since the epoch, for `exp` (the wall clock)."""
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def user(self, username: str) -> ConsoleUser | None:
        return next((u for u in self.users if u.username == username), None)

    def issue(self, user: ConsoleUser) -> tuple[str, int]:
        """A signed ID token for `user` and when it expires (epoch seconds)."""
        now = int(self.clock())
        claims = {
            "sub": f"local-{user.username}",
            "cognito:username": user.username,
            "email": user.email,
            "cognito:groups": list(user.groups),
            "token_use": "id",
            "iss": ISSUER,
            "aud": "kairos-local-console",
            "iat": now,
            "exp": now + TOKEN_SECONDS,
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}", claims["exp"]  # type: ignore[return-value]

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, if this server signed it and it has not expired."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not a JWT")
        header, payload, signature = parts
        expected = hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        try:
            given = _unb64(signature)
            claims: dict[str, Any] = json.loads(_unb64(payload))
            alg = json.loads(_unb64(header)).get("alg")
        except ValueError:
            raise InvalidToken("not a JWT") from None
        if alg != "HS256" or not hmac.compare_digest(given, expected):
            raise InvalidToken("bad signature")
        if claims.get("iss") != ISSUER or claims.get("token_use") != "id":
            raise InvalidToken("not a console ID token")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.clock():
            raise InvalidToken("expired")
        return claims

    def authorize(self, authorization: str | None) -> dict[str, str]:
        """What API Gateway's Cognito authorizer does with the `Authorization` header:
        the verified claims as a REST API passes them to the function (strings; groups
        joined with commas, times as the authorizer writes them)."""
        if not authorization:
            raise InvalidToken("no token")
        scheme, _, token = authorization.strip().partition(" ")
        # The authorizer takes the bare token or `Bearer <token>`.
        claims = self.verify(token.strip() if scheme.lower() == "bearer" else scheme)
        flat: dict[str, str] = {}
        for key, value in claims.items():
            if key == "cognito:groups":
                flat[key] = ",".join(value)
            elif key in ("exp", "iat"):
                flat[key] = _cognito_time(int(value))
            else:
                flat[key] = str(value)
        return flat
