"""What the embedded emulator's SES v2 and SNS were asked to send.

The emulator runs in this process (kairos_dev.local.emulator), so the outbox reads moto's
backends directly: no extra HTTP endpoint, and the raw MIME of every email is there to
check headers (List-Unsubscribe) and bodies. moto keeps neither SES tags nor SNS
message attributes; `capture_calls` records the parameters of a real boto3 client's
calls when a test or a local session needs those.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message
from email.policy import default as default_policy
from typing import Any

from kairos_dev.local.emulator import REGION

ACCOUNT = "123456789012"  # moto's default account


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    source: str
    destinations: list[str]
    raw: str

    @property
    def mime(self) -> Message:
        return email.message_from_string(self.raw, policy=default_policy)

    @property
    def to(self) -> str:
        return str(self.mime["To"])

    @property
    def subject(self) -> str:
        return str(self.mime["Subject"])

    def header(self, name: str) -> str | None:
        value = self.mime[name]
        return None if value is None else str(value)

    def body(self, subtype: str = "plain") -> str | None:
        for part in self.mime.walk():
            if part.get_content_type() == f"text/{subtype}":
                content = part.get_content()  # type: ignore[attr-defined]
                return str(content)
        return None


@dataclass(frozen=True)
class SentSms:
    message_id: str
    phone: str
    text: str


class Outbox:
    """`Outbox().emails()` / `.sms()`: everything sent since the emulator started (or
    since `mark()`), optionally for one recipient."""

    def __init__(self, region: str = REGION, account: str = ACCOUNT) -> None:
        self.region = region
        self.account = account
        self._email_mark = 0
        self._sms_mark = 0

    def _ses(self) -> Any:
        from moto.ses.models import ses_backends

        return ses_backends[self.account][self.region]

    def _sns(self) -> Any:
        from moto.sns.models import sns_backends

        return sns_backends[self.account][self.region]

    def mark(self) -> None:
        """Forget what was sent so far (the backends themselves are untouched)."""
        self._email_mark = len(self._ses().sent_messages)
        self._sms_mark = len(self._sns().sms_messages)

    def emails(self, to: str | None = None) -> list[SentEmail]:
        sent = []
        for message in list(self._ses().sent_messages)[self._email_mark :]:
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue  # a Simple-content email: Kairos always sends raw MIME
            item = SentEmail(message.id, message.source, list(message.destinations), raw)
            if to is None or to in item.destinations or to in item.to:
                sent.append(item)
        return sent

    def sms(self, phone: str | None = None) -> list[SentSms]:
        items = list(self._sns().sms_messages.items())[self._sms_mark :]
        return [
            SentSms(message_id, number, text)
            for message_id, (number, text) in items
            if phone is None or number == phone
        ]


def capture_calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """Record the parameters of every `operation` (e.g. `Publish`, `SendEmail`) this
    boto3 client makes, as sent; returns the list it appends to."""
    calls: list[dict[str, Any]] = []
    service = client.meta.service_model.service_name

    def keep(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    client.meta.events.register(f"provide-client-params.{service}.{operation}", keep)
    return calls


def verify_sender(emulator_client: Any, address: str) -> None:
    """SES only sends from verified identities; verify one on the emulator."""
    emulator_client.create_email_identity(EmailIdentity=address)
