"""Email through Amazon SES v2 `SendEmail` with raw MIME content.

Raw content because the message must carry `List-Unsubscribe` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058; Gmail and Yahoo require
one-click unsubscribe for bulk senders) and raw MIME carries any header on every SES
version and on the emulator. The configuration set routes opens, clicks, bounces and
complaints to the event destination; the message tags (`delivery_id`, `journey`,
`step`) come back on those events so they can be tied to this send.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import Any

from kairos.delivery.channels.base import Envelope, SendResult, from_aws_error
from kairos.delivery.templates import EmailContent

_TAG_VALUE = re.compile(r"[^A-Za-z0-9_\-.@]")
# Long headers must not be folded into RFC 2047 encoded-words: a List-Unsubscribe URL
# so encoded is no longer a URL to mail clients. 998 is RFC 5322's hard line limit.
_POLICY = SMTP.clone(max_line_length=998)


def tag_value(value: str) -> str:
    """SES tag values allow letters, digits, `_ - . @` and at most 256 characters."""
    return _TAG_VALUE.sub("_", value)[:256] or "_"


def mime(sender: str, to: str, content: EmailContent, reply_to: str | None = None) -> bytes:
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = content.text if content.text is not None else _strip_tags(content.html or "")
    message.set_content(text, charset="utf-8")
    if content.html:
        message.add_alternative(content.html, subtype="html", charset="utf-8")
    return message.as_bytes()


def _strip_tags(html: str) -> str:
    return re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", "", html)).strip()


class EmailChannel:
    def __init__(
        self,
        client: Any,
        sender: str,
        reply_to: str | None = None,
        configuration_set: str | None = None,
    ) -> None:
        self.client = client
        self.sender = sender
        self.reply_to = reply_to
        self.configuration_set = configuration_set

    def send(self, to: str, content: EmailContent, envelope: Envelope) -> SendResult:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": mime(self.sender, to, content, self.reply_to)}},
            "EmailTags": [
                {"Name": "delivery_id", "Value": tag_value(envelope.delivery_id)},
                {"Name": "journey", "Value": tag_value(envelope.journey)},
                {"Name": "step", "Value": tag_value(envelope.step)},
            ],
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**request)
        except Exception as exc:
            raise from_aws_error("SES", exc) from exc
        return SendResult(provider_message_id=str(response.get("MessageId")))
