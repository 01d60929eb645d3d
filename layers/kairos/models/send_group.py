"""The fan-out message: one queue message carrying many members' sends of one step.

When one evaluator invocation produces many send requests that differ only in who they
go to (same journey, version, step, template, template version, channel choice,
fallback, transactional flag, `not_before` and `requested_at` — a schedule journey
enrolling a segment, say), they travel as a `SendGroup` (`v: 2`): the shared fields
once, then up to `MAX_RECIPIENTS` recipients (delivery id, member, enrolment, and their
own trigger when it differs from the group's). The sender expands a group into the very
`SendRequest`s the members would have had on their own (`requests()`): same delivery
ids, so claims, retry keys and records are unchanged.

`pack` turns a list of requests into the fewest messages: groups for what shares a step,
each kept under `MAX_MESSAGE_BYTES` by measuring its JSON, and v1 requests for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kairos.models.send_request import SendRequest, StepSend

SEND_GROUP_VERSION = 2
MAX_RECIPIENTS = 500
"""Members per group: LINE's multicast limit, so a group with identical content is at
most one multicast."""
MAX_MESSAGE_BYTES = 250 * 1024
"""A message body's ceiling: SQS's safe 256 KiB limit (262,144 bytes, which counts the
body and the message attributes) less room for the attributes."""

PER_RECIPIENT = ("delivery_id", "member_id", "enrolment_id", "trigger")
"""What differs between the members of a group; everything else is the group's."""


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_id: str = Field(min_length=1, max_length=100)
    member_id: str = Field(min_length=1)
    enrolment_id: str
    trigger: dict[str, Any] | None = None
    """This member's trigger event; None: the group's."""


class SendGroup(StepSend):
    """`trigger` is the trigger event of every recipient that has none of its own."""

    v: Literal[2] = 2
    recipients: list[Recipient] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    attempt: int = Field(default=0, ge=0)
    """Retries so far: a remainder put back on the queue keeps its backoff growing."""

    @model_validator(mode="after")
    def _distinct(self) -> SendGroup:
        ids = [r.delivery_id for r in self.recipients]
        if len(set(ids)) != len(ids):
            raise ValueError("a delivery id appears twice in the group")
        return self

    def requests(self) -> list[SendRequest]:
        """Each member's send request, exactly as it would have travelled alone."""
        shared = self.model_dump(exclude={"v", "recipients", "attempt", "trigger"})
        return [
            SendRequest(
                **shared,
                delivery_id=r.delivery_id,
                member_id=r.member_id,
                enrolment_id=r.enrolment_id,
                trigger=self.trigger if r.trigger is None else r.trigger,
            )
            for r in self.recipients
        ]

    def only(self, delivery_ids: Iterable[str], attempt: int) -> SendGroup:
        """The same group for some of its members (what is left to retry)."""
        keep = set(delivery_ids)
        return self.model_copy(
            update={
                "recipients": [r for r in self.recipients if r.delivery_id in keep],
                "attempt": attempt,
            }
        )

    @classmethod
    def of(cls, requests: Sequence[SendRequest]) -> SendGroup:
        """Requests of one step (same `group_key`) → one group; the first one's trigger
        is the group's, the others carry theirs only when it differs."""
        first = requests[0]
        # A reply offer is one member's (never grouped: `pack`).
        shared = first.model_dump(exclude={"v", "reply", *PER_RECIPIENT})
        recipients = [
            Recipient(
                delivery_id=r.delivery_id,
                member_id=r.member_id,
                enrolment_id=r.enrolment_id,
                trigger=None if r.trigger == first.trigger else r.trigger,
            )
            for r in requests
        ]
        return cls(**shared, trigger=first.trigger, recipients=recipients)


@dataclass(frozen=True)
class Outgoing:
    """A send request for a channel queue, with the "now" it was made at (its delay)."""

    request: SendRequest
    queue: str
    now: datetime


QueuedSend = Annotated[SendRequest | SendGroup, Field(discriminator="v")]
"""What a channel queue message holds: a single request (v1) or a group (v2)."""


def group_key(request: SendRequest) -> str:
    """Requests with the same key differ only in their recipient and can share a group."""
    return request.model_dump_json(exclude={"v", *PER_RECIPIENT})


def body_bytes(message: SendRequest | SendGroup) -> int:
    return len(message.model_dump_json().encode())


def pack(
    requests: Sequence[SendRequest],
    *,
    max_bytes: int = MAX_MESSAGE_BYTES,
    max_recipients: int = MAX_RECIPIENTS,
) -> list[SendRequest | SendGroup]:
    """The fewest messages for these requests (in their order of first appearance):
    requests of one step go in groups of at most `max_recipients` members and
    `max_bytes` of JSON; a request alone, or offered a reply token, stays a v1 request."""
    by_key: dict[str, list[SendRequest]] = {}
    for request in requests:
        # A send offered the member's reply token goes alone: it may be a free reply.
        key = group_key(request) if request.reply is None else f"reply:{request.delivery_id}"
        by_key.setdefault(key, []).append(request)
    messages: list[SendRequest | SendGroup] = []
    for members in by_key.values():
        if len(members) == 1:
            messages.append(members[0])
            continue
        for start in range(0, len(members), max_recipients):
            messages.extend(_sized(members[start : start + max_recipients], max_bytes))
    return messages


def _sized(members: Sequence[SendRequest], max_bytes: int) -> list[SendRequest | SendGroup]:
    """Members in order into groups filled up to `max_bytes` of JSON (measured: each
    recipient adds its own JSON and a comma). A group of one travels as a v1 request;
    one that does not fit on its own is left for the queue's limit to decide."""
    chunks: list[list[SendRequest]] = []
    size = 0
    for request in members:
        if chunks and size + _recipient_bytes(request, chunks[-1][0]) <= max_bytes:
            chunks[-1].append(request)
            size += _recipient_bytes(request, chunks[-1][0])
        else:
            chunks.append([request])
            size = body_bytes(SendGroup.of([request]))
    messages: list[SendRequest | SendGroup] = []
    for chunk in chunks:
        group = SendGroup.of(chunk) if len(chunk) > 1 else None
        if group is None:
            messages.append(chunk[0])
        elif body_bytes(group) <= max_bytes:
            messages.append(group)
        else:  # the estimate was off: halve until it fits
            middle = len(chunk) // 2
            messages += _sized(chunk[:middle], max_bytes) + _sized(chunk[middle:], max_bytes)
    return messages


def _recipient_bytes(request: SendRequest, first: SendRequest) -> int:
    trigger = None if request.trigger == first.trigger else request.trigger
    recipient = Recipient(
        delivery_id=request.delivery_id,
        member_id=request.member_id,
        enrolment_id=request.enrolment_id,
        trigger=trigger,
    )
    return len(recipient.model_dump_json().encode()) + 1
