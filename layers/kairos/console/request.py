"""One console request as its views see it: who is calling (from the claims API
Gateway's Cognito authorizer has already checked), what they asked, and when.

API Gateway verifies the ID token against the stack's user pool before the function
runs and passes its claims in `requestContext.authorizer.claims`; the function only
reads them. `kairos local` plays the authorizer with development tokens (kairos_dev),
putting claims in the same place, so this code is the same in both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairos.ingest.routes import ROLES, Role, allows


class Unauthenticated(Exception):
    """No verified claims reached the function (401)."""


class Forbidden(Exception):
    """The caller's role does not allow this route (403)."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user: `username` is the pool's user name (or the IAM ARN for the
    command line), recorded as `by` on every change they make."""

    username: str
    email: str | None
    groups: tuple[str, ...]

    @property
    def role(self) -> Role | None:
        """The highest console role the user holds."""
        held = [r for r in ROLES if r in self.groups]
        return held[-1] if held else None

    def may(self, least: Role) -> bool:
        return allows(self.groups, least)


def _groups(raw: Any) -> tuple[str, ...]:
    """`cognito:groups` as API Gateway passes it: a list, a JSON list, `[a b]` or
    `a,b` (REST APIs flatten claims to strings)."""
    if raw is None:
        return ()
    if isinstance(raw, list | tuple):
        return tuple(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text[1:-1].replace(",", " ").split()
        return tuple(str(g) for g in parsed)
    return tuple(g.strip() for g in text.split(",") if g.strip())


def principal_of(claims: Mapping[str, Any] | None) -> Principal:
    """The caller from the authorizer's claims; `Unauthenticated` without them."""
    if not claims:
        raise Unauthenticated("sign in first")
    username = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not username:
        raise Unauthenticated("the token names no user")
    email = claims.get("email")
    return Principal(
        username=str(username),
        email=str(email) if email else None,
        groups=_groups(claims.get("cognito:groups")),
    )


@dataclass(frozen=True)
class ConsoleRequest:
    """What a console view gets: the services, the caller, the query and body."""

    services: Any
    """The webhook function's services (kairos.wiring.webhook.WebhookServices)."""
    principal: Principal
    now: datetime
    request_id: str
    """API Gateway's request id: keys a change's event, so a retried request applies once."""
    query: Mapping[str, str]
    body: bytes
