"""The fake LINE's reply tokens (fake_line.py answers `POST /v2/bot/message/reply` with
them), with LINE's rules:

- a token is issued for one user with the event LINE sends the webhook (`issue`: 32 hex
  characters, as LINE's look), and is usable once, for `REPLY_TOKEN_SECONDS` after it was
  issued, by the fake's clock;
- an unknown, expired or used token is refused alike: 400 `{"message": "Invalid reply
  token"}`, the same words for all three, as LINE answers;
- a reply is sent to the token's user; it does not count toward the monthly allowance
  (replies are free) and carries no retry key (LINE ignores `X-Line-Retry-Key` there).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

REPLY_PATH = "/v2/bot/message/reply"
REPLY_TOKEN_SECONDS = 60.0
"""How long after its event a reply token is usable (LINE: "about a minute")."""
INVALID_REPLY_TOKEN: dict[str, Any] = {"message": "Invalid reply token"}


@dataclass
class IssuedToken:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ReplyTokens:
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def issue(self, user_id: str, at: float) -> str:
        token = uuid.uuid4().hex
        self.tokens[token] = IssuedToken(user_id, at)
        return token

    def adopt(self, token: str, user_id: str, at: float) -> None:
        """A token LINE put in a webhook body posted to `kairos local` (the fake plays
        the LINE that issued it); one already known is left as it is."""
        self.tokens.setdefault(token, IssuedToken(user_id, at))

    def usable(self, token: str, now: float) -> str | None:
        """The token's user if a reply with it is accepted at `now`, else None."""
        issued = self.tokens.get(token)
        if issued is None or issued.used or now - issued.issued_at > REPLY_TOKEN_SECONDS:
            return None
        return issued.user_id

    def use(self, token: str) -> None:
        self.tokens[token].used = True

    def clear(self) -> None:
        self.tokens.clear()


def reply_problems(payload: dict[str, Any]) -> list[dict[str, str]]:
    """What is wrong with a reply's `replyToken` (its messages are checked as a push's)."""
    token = payload.get("replyToken")
    if not isinstance(token, str) or not token:
        return [{"message": "Must be a non-empty string", "property": "replyToken"}]
    return []
