"""LINE's answers as the sender's decisions, without line-bot-sdk: the retry key a
request carries, and what a status and error body mean (retry later, monthly limit,
fail for good). The SDK adapter (line.py) and any other LINE transport share them, and
the domain modules that only need a retry key do not import the SDK."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from kairos.delivery.model import (
    DeliveryError,
    MonthlyLimit,
    Rejected,
    ReplyUnusable,
    Throttled,
    Transient,
)

MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
INVALID_REPLY_TOKEN = "Invalid reply token"
"""LINE's 400 to a reply token that expired or was used already (the same words for both)."""
_RETRY_KEY_NAMESPACE = uuid.UUID("5b0e8a7c-4f7e-4d8e-9c11-6b1f6a0f6a01")


def retry_key(delivery_ids: Iterable[str]) -> str:
    """A UUID that only depends on which deliveries a request carries."""
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, "|".join(sorted(delivery_ids))))


def decision(status: int, body: str | bytes | None) -> DeliveryError:
    """A refused request (any status but 200, and 409 without an accepted request id)
    as the sender's decision; `body` is LINE's JSON error, as received."""
    message = ""
    try:
        answer = json.loads(body or "{}")
        message = str(answer.get("message", ""))
        details = answer.get("details") or []
        if details:
            message += " " + "; ".join(
                f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:3]
            )
    except (ValueError, AttributeError, TypeError):
        pass
    if status == 429:
        if message.strip().startswith(MONTHLY_LIMIT_MESSAGE):
            return MonthlyLimit("LINE monthly limit reached")
        return Throttled("LINE 429", delay=1.0)
    if status >= 500:
        return Transient(f"LINE {status}", delay=2.0)
    return Rejected(f"LINE {status}: {message.strip()[:200]}")


def reply_decision(status: int, body: str | bytes | None) -> DeliveryError:
    """A refused reply as the sender's decision: the token refused → ReplyUnusable (push
    instead); a 429 or 5xx → the same as a push's (nothing was sent, push instead too)."""
    found = decision(status, body)
    if status == 400 and INVALID_REPLY_TOKEN.lower() in found.reason.lower():
        return ReplyUnusable("reply token unusable")
    if isinstance(found, MonthlyLimit):  # replies are free: not LINE's monthly limit
        return ReplyUnusable("LINE refused the reply (429)")
    return found
