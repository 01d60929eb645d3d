"""What a cancelled TransactWriteItems says: one reason code per item, in order."""

from __future__ import annotations

from botocore.exceptions import ClientError


def cancellation_reasons(exc: ClientError) -> list[str]:
    """The cancellation reason codes, one per transaction item ("None" when it passed)."""
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return [str(r.get("Code") or "None") for r in reasons]
    # Some emulators only put the reasons in the message: "[ConditionalCheckFailed, None]".
    message = exc.response["Error"].get("Message", "")
    listed = message[message.rfind("[") + 1 : message.rfind("]")].split(",")
    return [code.strip() or "None" for code in listed]
