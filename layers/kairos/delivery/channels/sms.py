"""SMS through Amazon SNS `Publish` to a phone number.

`AWS.SNS.SMS.SMSType` is `Transactional` for transactional journeys (SNS routes them for
reliability) and `Promotional` otherwise (cheaper, and what marketing must use);
`AWS.SNS.SMS.SenderID` is set when the brand configured one (`channels.sms.sender_id`;
countries that do not support sender ids ignore it).
"""

from __future__ import annotations

from typing import Any

from kairos.delivery.channels.base import Envelope, SendResult, from_aws_error
from kairos.delivery.templates import SmsContent


def attributes(envelope: Envelope, sender_id: str | None) -> dict[str, dict[str, str]]:
    attrs = {
        "AWS.SNS.SMS.SMSType": {
            "DataType": "String",
            "StringValue": "Transactional" if envelope.transactional else "Promotional",
        }
    }
    if sender_id:
        attrs["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
    return attrs


class SmsChannel:
    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self.client = client
        self.sender_id = sender_id

    def send(self, to: str, content: SmsContent, envelope: Envelope) -> SendResult:
        try:
            response = self.client.publish(
                PhoneNumber=to,
                Message=content.text,
                MessageAttributes=attributes(envelope, self.sender_id),
            )
        except Exception as exc:
            raise from_aws_error("SNS", exc) from exc
        return SendResult(provider_message_id=str(response.get("MessageId")))
