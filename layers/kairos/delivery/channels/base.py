"""What every channel adapter offers the sender, and how provider errors map onto the
sender's decisions (retry later, fail for good, try the next channel)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kairos.delivery.model import DeliveryError, Rejected, Throttled, Transient
from kairos.delivery.templates import EmailContent, LineContent, SmsContent

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestLimitExceeded",
    }
)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    accepted_earlier: bool = False
    """LINE answered 409: an earlier attempt with this retry key was accepted."""


@dataclass(frozen=True)
class Envelope:
    """Ids that travel with a message (SES tags): never personal data."""

    delivery_id: str
    journey: str
    step: str
    transactional: bool


class LineSender(Protocol):
    def push(self, to: str, content: LineContent, retry_key: str) -> SendResult: ...

    def multicast(self, to: list[str], content: LineContent, retry_key: str) -> SendResult: ...

    def reply(self, token: str, messages: list[dict[str, Any]]) -> list[str | None]:
        """One reply with the event's token (1–5 message objects): the sent messages'
        ids, in order. Raises ReplyUnusable (the token, or nothing was sent for a reason
        a push does not share), ReplyUnknown (sent, no answer), Throttled or Transient
        (not sent), Rejected (a message LINE refuses)."""
        ...


class EmailSender(Protocol):
    def send(self, to: str, content: EmailContent, envelope: Envelope) -> SendResult: ...


class SmsSender(Protocol):
    def send(self, to: str, content: SmsContent, envelope: Envelope) -> SendResult: ...


@dataclass
class Channels:
    line: LineSender | None = None
    email: EmailSender | None = None
    sms: SmsSender | None = None


def from_aws_error(service: str, exc: Exception) -> DeliveryError:
    """A botocore failure as the sender's decision. Imports stay lazy so this module
    (and so the domain) does not depend on botocore."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        error: Any = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = str(error.get("Message", ""))[:200]
        if code in THROTTLE_CODES or status == 429:
            return Throttled(f"{service} throttled ({code})", delay=1.0)
        if status >= 500 or code in ("InternalFailure", "InternalError", "ServiceUnavailable"):
            return Transient(f"{service} {status or code}", delay=2.0)
        return Rejected(f"{service} {code}: {message}")
    if isinstance(
        exc,
        ReadTimeoutError | ConnectTimeoutError | EndpointConnectionError | ConnectionClosedError,
    ):
        return Transient(f"{service} unreachable ({type(exc).__name__})", delay=2.0)
    return Transient(f"{service} error ({type(exc).__name__})", delay=2.0)
