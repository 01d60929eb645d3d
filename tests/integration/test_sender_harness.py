"""The sender's test rig: a fresh local stack, the fake LINE server over real HTTP, the
emulator's SES/SNS outbox, and the real sender handler fed from a real SQS queue. The
handler runs with services wired as in Lambda (from the stack's environment), with the
test's settings, templates and clock.

Each `test_sender_*` module makes its `rig` fixture with `make_rig`; this module holds
no tests itself.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from kairos.aws import Boto3Clients
from kairos.clock import Clock, FixedClock
from kairos.config import RuntimeConfig
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.store import keys
from kairos.store.codec import to_item
from kairos.store.deliveries import DeliveryStore
from kairos.store.limits import LimitStore
from kairos.wiring.sender import SenderServices, build
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.fake_line import FakeLine, start_fake_line
from kairos_dev.local.functions import LambdaContext, load_function
from kairos_dev.local.outbox import Outbox, verify_sender
from kairos_dev.local.pumps import QueuePump
from kairos_dev.local.stack import LocalStack, create_local_stack

NOW = datetime.fromisoformat("2026-03-01T10:00:00+08:00")
SENDER_ADDRESS = "hello@shop.example"


def request(member_id: str, template: str = "hello", **fields: Any) -> SendRequest:
    values: dict[str, Any] = {
        "delivery_id": f"d-{uuid.uuid4().hex[:16]}",
        "member_id": member_id,
        "journey": "welcome",
        "journey_version": "1",
        "step": "greet",
        "enrolment_id": f"e-{member_id}",
        "template": template,
        "template_version": "1",
        "channel": "line",
        "requested_at": NOW,
        "trigger": {"id": "evt-1", "type": "line.follow", "data": {}},
    }
    values.update(fields)
    return SendRequest.model_validate(values)


def template(**bodies: Any) -> Template:
    return Template.model_validate({"id": bodies.pop("id", "hello"), **bodies})


HELLO = template(
    line={"text": "{{ profile.name or '朋友' }}，早安！"},
    email={"subject": "Hi {{ profile.name or 'friend' }}", "text": "Hello {{ profile.name }}",
           "html": "<p>Hello {{ profile.name }}</p>"},
    sms={"text": "Hi {{ profile.name or 'friend' }}"},
)  # fmt: skip
NEWS = template(id="news", line={"text": "本週新品上架！"})


@dataclass
class Rig:
    stack: LocalStack
    line: FakeLine
    outbox: Outbox
    handler: ModuleType
    queue_url: str
    dlq_url: str
    clock: Clock = field(default_factory=lambda: FixedClock(NOW))
    """The sender's "now" (a test may swap it for a running clock)."""
    services: SenderServices | None = None

    @property
    def table(self) -> str:
        return self.stack.tables["main"]

    def client(self, service: str) -> Any:
        return self.stack.client(service)

    def use(self, settings: Settings | None = None, templates: Mapping[str, Template] | None = None, **wiring: Any) -> SenderServices:  # fmt: skip
        """Wire the sender from the stack's environment as it is now, with these settings
        and templates (and any other `build` argument)."""
        self.services = build(
            RuntimeConfig.from_env(),
            Boto3Clients(),
            settings=settings or Settings(),
            templates=templates if templates is not None else {"hello": HELLO, "news": NEWS},
            clock=lambda: self.clock(),
            **wiring,
        )
        return self.services

    def member(self, member_id: str, **profile: Any) -> str:
        profile = {k: v for k, v in profile.items() if v is not None}
        item = {
            "pk": keys.member_pk(member_id),
            "sk": keys.PROFILE_SK,
            "member_id": member_id,
            "profile": profile,
            "tags": [],
            "stats": {},
            "identifiers": {
                k: v for k, v in profile.items() if k in ("line_user_id", "email", "phone")
            },
            "version": 1,
        }
        self.client("dynamodb").put_item(TableName=self.table, Item=to_item(item))
        return member_id

    def enqueue(self, *requests: SendRequest, raw: list[str] | None = None) -> None:
        sqs = self.client("sqs")
        bodies = [r.model_dump_json() for r in requests] + list(raw or [])
        for start in range(0, len(bodies), 10):
            sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "MessageBody": b}
                    for i, b in enumerate(bodies[start : start + 10])
                ],
            )

    def invoke(self, event: dict[str, Any], context: LambdaContext | None = None) -> Any:
        context = context or LambdaContext(function_name="kairos-sender")
        return self.handler.handle(event, context, self.services)

    def pump(self, batch_size: int = 10) -> QueuePump:
        if batch_size > 10:
            return QueuePump(self.client("sqs"), self.queue_url, self.invoke, batch_size)
        return QueuePump(self.client("sqs"), self.queue_url, self.invoke, batch_size=batch_size)

    def drain(self, timeout: float = 30.0, batch_size: int = 10) -> None:
        """Run the queue until it is empty (returned messages included) or time is up."""
        pump = self.pump(batch_size)
        deadline = time.monotonic() + timeout
        empty_since: float | None = None
        while time.monotonic() < deadline:
            if pump.pump_once():
                empty_since = None
                continue
            # SQS's counts are approximate: empty twice, a moment apart, is empty.
            if self.queue_depth() == 0:
                if empty_since is not None and time.monotonic() - empty_since >= 0.3:
                    return
                empty_since = empty_since or time.monotonic()
            else:
                empty_since = None
            time.sleep(0.1)
        raise AssertionError(f"queue not drained in {timeout}s ({self.queue_depth()} left)")

    def queue_depth(self, url: str | None = None) -> int:
        attrs = self.client("sqs").get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]  # fmt: skip
        # Delayed messages too: a group's remainder goes back with a DelaySeconds.
        return sum(int(attrs.get(name, 0)) for name in (
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"))  # fmt: skip

    def deliveries(self) -> DeliveryStore:
        return DeliveryStore(self.table, self.client("dynamodb"))

    def limits(self) -> LimitStore:
        return LimitStore(self.table, self.client("dynamodb"))

    def delivery(self, r: SendRequest) -> dict[str, Any]:
        record = self.deliveries().delivery(r.delivery_id)
        assert record is not None, f"no delivery record for {r.delivery_id}"
        return record

    def timeline(self, member_id: str) -> list[dict[str, Any]]:
        from kairos.store.members import MemberRepository

        return MemberRepository(self.table, self.client("dynamodb")).timeline(member_id)


def make_rig(emulator: Emulator, *, line_rate: float | None = None, multicast_rate: float | None = None,
             monthly_limit: int | None = None, max_receive: int = 10, visibility: int = 30) -> Iterator[Rig]:  # fmt: skip
    stack = create_local_stack(emulator, prefix=f"s{uuid.uuid4().hex[:10]}")
    fake = start_fake_line(
        rate=line_rate,
        multicast_rate=multicast_rate,
        monthly_limit=monthly_limit,
        token=stack.secrets.line_channel_token,
    )
    stack.extra_env["KAIROS_LINE_API_ENDPOINT"] = fake.url
    stack.extra_env["KAIROS_TRACKING_BASE_URL"] = "https://hooks.shop.example/t/"
    stack.activate()
    verify_sender(stack.client("sesv2"), SENDER_ADDRESS)
    sqs = stack.client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"{stack.prefix}-test-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"{stack.prefix}-test",
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)}
            ),
        },
    )["QueueUrl"]
    handler = load_function("sender", fresh=True)
    outbox = Outbox()
    outbox.mark()
    rig = Rig(stack, fake, outbox, handler, queue_url, dlq_url)
    rig.use()
    try:
        yield rig
    finally:
        fake.stop()


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)
