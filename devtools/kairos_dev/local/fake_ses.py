"""The emulator's SES, publishing engagement events the way SES does (configuration set
→ default EventBridge bus → the stack's rule → the webhook), so the local runtime, the
simulator and the tests exercise the deployed path: `kairos.ingest.ses` in the real
webhook handler.

moto keeps neither message tags nor the configuration set, so `install()` wraps moto's
SES v2 SendEmail (the emulator runs in this process) to note them per message. Every
email sent with the stack's configuration set is then delivered (`Email Delivered`),
except to the SES mailbox simulator's addresses, which behave as on SES:
`bounce@…` bounces for good, `complaint@…` is delivered and then complained about,
`suppressionlist@…` bounces as an address on the account's suppression list. Opens,
clicks, soft bounces and complaints for any message are added with `open()`, `click()`,
`bounce()` and `complain()`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kairos.ingest.ses import CONFIGURATION_SET_TAG, DETAIL_TYPES, SOURCE
from kairos.observability import logger
from kairos_dev.local.emulator import REGION

ACCOUNT = "123456789012"  # moto's default account
SIMULATOR_DOMAIN = "simulator.amazonses.com"
MAX_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first try and two retries
RETRY_SECONDS = 1.0  # Lambda waits a minute, then two; locally a second, then two

_DETAIL_TYPE = {kind: detail_type for detail_type, kind in DETAIL_TYPES.items()}


@dataclass(frozen=True)
class SentMail:
    message_id: str
    source: str
    destinations: tuple[str, ...]
    tags: dict[str, list[str]]


_journal: list[SentMail] = []
_journal_lock = threading.Lock()


def note(message_id: str, params: dict[str, Any]) -> None:
    """Journal one SendEmail (its parameters as boto3 takes them) for the events fake."""
    destination = params.get("Destination", {})
    tags = {t["Name"]: [t["Value"]] for t in params.get("EmailTags", [])}
    if params.get("ConfigurationSetName"):
        # SES adds the configuration set to every event as this tag.
        tags[CONFIGURATION_SET_TAG] = [params["ConfigurationSetName"]]
    with _journal_lock:
        _journal.append(
            SentMail(
                message_id=message_id,
                source=params.get("FromEmailAddress", ""),
                destinations=tuple(
                    destination.get("ToAddresses", []) + destination.get("CcAddresses", [])
                ),
                tags=tags,
            )
        )


def install() -> None:
    """Note each SendEmail's tags and configuration set (idempotent, process-wide)."""
    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "_kairos_journal", False):
        return
    original = SESV2Response.send_email

    def send_email(self: Any) -> str:
        answer = original(self)
        note(json.loads(answer)["MessageId"], json.loads(self.body))
        return answer

    SESV2Response.send_email = send_email  # type: ignore[method-assign]
    SESV2Response._kairos_journal = True  # type: ignore[attr-defined]


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SesEvents:
    """The engagement events of one configuration set, as SES publishes them."""

    configuration_set: str
    clock: Callable[[], datetime] = _now
    _seen: int = 0
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _mail: dict[str, SentMail] = field(default_factory=dict)

    def __post_init__(self) -> None:
        install()
        with _journal_lock:
            self._seen = len(_journal)  # only what is sent from now on

    def _new_mail(self) -> list[SentMail]:
        with _journal_lock:
            fresh, self._seen = _journal[self._seen :], len(_journal)
        ours = [m for m in fresh if m.tags.get(CONFIGURATION_SET_TAG) == [self.configuration_set]]
        self._mail.update((m.message_id, m) for m in ours)
        return ours

    def message_id(self, delivery_id: str) -> str:
        """The SES message id of the email sent for `delivery_id`."""
        self._pending += [e for m in self._new_mail() for e in self._publish(m)]
        for mail in self._mail.values():
            if mail.tags.get("delivery_id") == [delivery_id]:
                return mail.message_id
        raise KeyError(f"no email sent for delivery {delivery_id}")

    def take(self) -> list[dict[str, Any]]:
        """Events published since the last call: sends since then, then added ones."""
        events = [event for mail in self._new_mail() for event in self._publish(mail)]
        events += self._pending
        self._pending = []
        return events

    # ---- what the mailbox does --------------------------------------------------------

    def _publish(self, mail: SentMail) -> list[dict[str, Any]]:
        to = mail.destinations[0].lower() if mail.destinations else ""
        local, _, domain = to.partition("@")
        if domain == SIMULATOR_DOMAIN and local == "bounce":
            return [self._event(mail, "email.bounced", self._bounce_record("Permanent", "General"))]
        if domain == SIMULATOR_DOMAIN and local == "suppressionlist":
            record = self._bounce_record("Permanent", "OnAccountSuppressionList")
            return [self._event(mail, "email.bounced", record)]
        delivered = self._event(mail, "email.delivered", {"recipients": list(mail.destinations)})
        if domain == SIMULATOR_DOMAIN and local == "complaint":
            return [delivered, self._event(mail, "email.complained", self._complaint_record())]
        return [delivered]

    def open(self, message_id: str) -> None:
        self._add(message_id, "email.opened", {"userAgent": "Kairos local"})

    def click(self, message_id: str, url: str) -> None:
        self._add(message_id, "email.clicked", {"link": url, "userAgent": "Kairos local"})

    def bounce(self, message_id: str, permanent: bool = True) -> None:
        kind = ("Permanent", "General") if permanent else ("Transient", "MailboxFull")
        self._add(message_id, "email.bounced", self._bounce_record(*kind))

    def complain(self, message_id: str) -> None:
        self._add(message_id, "email.complained", self._complaint_record())

    def _add(self, message_id: str, kind: str, record: dict[str, Any]) -> None:
        earlier = self.take()  # keep SES's order: the send's own events first
        self._pending = [*earlier, self._event(self._mail[message_id], kind, record)]

    def _bounce_record(self, bounce_type: str, subtype: str) -> dict[str, Any]:
        return {"bounceType": bounce_type, "bounceSubType": subtype}

    def _complaint_record(self) -> dict[str, Any]:
        return {"complaintFeedbackType": "abuse"}

    def _event(self, mail: SentMail, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """EventBridge's event, shaped as SES publishes it."""
        now = _stamp(self.clock())
        name = {"email.delivered": "delivery", "email.opened": "open", "email.clicked": "click",
                "email.bounced": "bounce", "email.complained": "complaint"}[kind]  # fmt: skip
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": _DETAIL_TYPE[kind],
            "source": SOURCE,
            "account": ACCOUNT,
            "time": now,
            "region": REGION,
            "resources": [],
            "detail": {
                "eventType": name.capitalize(),
                "mail": {
                    "timestamp": now,
                    "source": mail.source,
                    "messageId": mail.message_id,
                    "destination": list(mail.destinations),
                    "tags": mail.tags,
                },
                name: {"timestamp": now, **record},
            },
        }


class SesEventPump:
    """Plays the stack's rule: each event invokes the webhook, asynchronously as Lambda
    would, so a failed one is tried again on later pumps before it is given up."""

    def __init__(self, events: SesEvents, invoke: Callable[[dict[str, Any]], Any]) -> None:
        self.events = events
        self.invoke = invoke
        self.retrying: list[tuple[float, int, dict[str, Any]]] = []
        """(monotonic time due, attempts so far, event) of events that failed."""
        self.failed: list[dict[str, Any]] = []
        """Events given up on (the stack's email-events dead-letter queue)."""

    def pump_once(self) -> int:
        now = time.monotonic()
        due = [(attempts, event) for at, attempts, event in self.retrying if at <= now]
        self.retrying = [entry for entry in self.retrying if entry[0] > now]
        batch = due + [(0, event) for event in self.events.take()]
        for attempts, event in batch:
            try:
                self.invoke(event)
            except Exception:
                if attempts + 1 >= MAX_ATTEMPTS:
                    logger.exception("email event given up", extra={"id": event["id"]})
                    self.failed.append(event)
                else:
                    wait = RETRY_SECONDS * 2**attempts
                    self.retrying.append((now + wait, attempts + 1, event))
        return len(batch)
