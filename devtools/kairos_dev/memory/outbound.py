"""The memory adapter's SES v2, SNS and Secrets Manager: what was sent is kept in order,
secrets are held as strings. Same request and response shapes as boto3's clients for the
calls Kairos makes."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class OutboundEmail:
    message_id: str
    sender: str
    to: list[str]
    raw: bytes
    tags: dict[str, str]
    sent_at: float


@dataclass(frozen=True)
class OutboundSms:
    message_id: str
    phone: str
    text: str
    attributes: dict[str, Any]
    sent_at: float


@dataclass
class MemoryOutbound:
    clock: Callable[[], float]
    emails: list[OutboundEmail] = field(default_factory=list)
    sms: list[OutboundSms] = field(default_factory=list)
    identities: set[str] = field(default_factory=set)
    secrets: dict[str, str] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    listeners: list[Callable[[OutboundEmail, dict[str, Any]], None]] = field(default_factory=list)
    """Told of every email sent, with the SendEmail parameters (the SES events fake)."""

    def verified(self, address: str) -> bool:
        domain = address.rpartition("@")[2]
        return address in self.identities or domain in self.identities


class MemorySesClient:
    def __init__(self, backend: MemoryOutbound) -> None:
        self.backend = backend

    def create_email_identity(self, EmailIdentity: str, **_: Any) -> Any:
        self.backend.identities.add(EmailIdentity)
        return {"IdentityType": "EMAIL_ADDRESS", "VerifiedForSendingStatus": True}

    def send_email(self, **kwargs: Any) -> Any:
        self.backend.requests["SendEmail"] += 1
        sender = kwargs.get("FromEmailAddress", "")
        if not self.backend.verified(sender):
            raise ClientError(
                {
                    "Error": {
                        "Code": "MessageRejected",
                        "Message": f"Email address is not verified: {sender}",
                    }
                },
                "SendEmail",
            )
        message_id = f"memory-{uuid.uuid4()}"
        raw = kwargs.get("Content", {}).get("Raw", {}).get("Data", b"")
        email = OutboundEmail(
            message_id=message_id,
            sender=sender,
            to=list(kwargs.get("Destination", {}).get("ToAddresses", [])),
            raw=raw if isinstance(raw, bytes) else str(raw).encode(),
            tags={t["Name"]: t["Value"] for t in kwargs.get("EmailTags", [])},
            sent_at=self.backend.clock(),
        )
        self.backend.emails.append(email)
        for listener in self.backend.listeners:
            listener(email, kwargs)
        return {"MessageId": message_id}


class MemorySnsClient:
    def __init__(self, backend: MemoryOutbound) -> None:
        self.backend = backend

    def publish(self, **kwargs: Any) -> Any:
        self.backend.requests["Publish"] += 1
        message_id = str(uuid.uuid4())
        self.backend.sms.append(
            OutboundSms(
                message_id=message_id,
                phone=kwargs.get("PhoneNumber", ""),
                text=kwargs.get("Message", ""),
                attributes=dict(kwargs.get("MessageAttributes") or {}),
                sent_at=self.backend.clock(),
            )
        )
        return {"MessageId": message_id}


class MemorySecretsClient:
    def __init__(self, backend: MemoryOutbound) -> None:
        self.backend = backend

    def create_secret(self, Name: str, SecretString: str, **_: Any) -> Any:
        self.backend.secrets[Name] = SecretString
        return {"Name": Name, "ARN": f"arn:aws:secretsmanager:::secret:{Name}"}

    def put_secret_value(self, SecretId: str, SecretString: str, **_: Any) -> Any:
        self.backend.secrets[SecretId] = SecretString
        return {"Name": SecretId}

    def get_secret_value(self, SecretId: str, **_: Any) -> Any:
        self.backend.requests["GetSecretValue"] += 1
        if SecretId not in self.backend.secrets:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ResourceNotFoundException",
                        "Message": f"Secrets Manager can't find the specified secret: {SecretId}",
                    }
                },
                "GetSecretValue",
            )
        return {"Name": SecretId, "SecretString": self.backend.secrets[SecretId]}
