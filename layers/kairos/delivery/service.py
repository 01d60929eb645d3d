"""The sender's service: an SQS batch of send requests in, one outcome per delivery out.

`Sender.batch(event, context)` opens a batch: planning.py plans every request (members
and frequency windows in one read, routes, the LINE allowance, content) and
multicast.py groups identical LINE messages. The handler's `BatchProcessor` then calls
`Batch.deliver(record)` once per record; the first call sends the whole batch's single
deliveries (pushing.py: claimed together on the idempotency records keyed on
`delivery_id`, sent concurrently within the limiter's grant, completed together), and
every call answers its record:

1. not due yet → a `deferred` timeline entry, and the message waits on the queue;
2. in a multicast group → the group's outcome (the group is sent on its first turn);
3. otherwise its outcome from the batch's pushes: a redelivered message gets the first
   attempt's outcome back instead of sending again.

`RetryLater` from any step gives the message back to its queue with backoff (the
visibility change through ports.Redelivery) and reports the record failed, so SQS keeps
it. Leaving the batch writes every outcome (recording.py) and emits the batch's metrics.

A group message (`SendGroup`, v2: one step to up to 500 members) is expanded into the
members' own requests when the batch is planned, so they are claimed, multicast or
pushed and recorded exactly as if they had come one by one. Its record answers for all
of them (`fanout.py`): members that must come back later go back to the queue as a new,
smaller group message and the record is acknowledged; only when no member got anywhere
is the record itself returned (so a group that never progresses still reaches the DLQ).

Time: "now" is the later of a request's `requested_at` and the injected clock (the wall
clock in Lambda, the virtual clock in the simulator; see wiring.py). The SQS timestamps
would not do: a message returned for a retry keeps its first `SentTimestamp`, so a send
deferred until `not_before` would never come due. Only the rate limiter reads the wall
clock itself: provider rates are real-world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json, TypeAdapter, ValidationError

from kairos.clock import Clock, utc
from kairos.delivery import fanout, multicast, recording
from kairos.delivery.backoff import retry_delay
from kairos.delivery.limiter import RateLimiter
from kairos.delivery.model import Outcome, RetryLater
from kairos.delivery.multicast import Multicaster, Multicasts
from kairos.delivery.planning import BatchPlan, Plan, Planner
from kairos.delivery.ports import Redelivery
from kairos.delivery.pushing import Answer, Pusher
from kairos.delivery.recording import Recorder, Results, log_outcome
from kairos.models.send_group import QueuedSend, SendGroup
from kairos.models.send_request import SendRequest
from kairos.observability import count, logger

_QUEUED: TypeAdapter[SendRequest | SendGroup] = TypeAdapter(QueuedSend)


class SendRecord(SqsRecordModel):
    """An SQS record whose body is a send request (v1) or a group of them (v2) (the
    BatchProcessor's model: a body that does not parse fails its record, and SQS moves
    it to the DLQ in the end)."""

    body: Json[QueuedSend]


MAX_DELIVERIES = 2_000
"""Deliveries one invocation takes on: four full groups (≈7 s of pushes and writes,
well inside the function's 30 s). A batch of 100 group messages would be 50,000."""


@dataclass
class Admitted:
    """What an SQS event's batch delivers now, and the group messages it passes on."""

    requests: list[SendRequest] = field(default_factory=list)
    passed_on: set[str] = field(default_factory=set)
    """Message ids of groups over MAX_DELIVERIES: put back on the queue unchanged."""


def requests_in(event: Mapping[str, Any], limit: int | None = None) -> Admitted:
    """Every parseable request of an SQS event, groups expanded, up to `limit`
    (MAX_DELIVERIES) deliveries: single requests always, the first group always
    (the processor reports what does not parse)."""
    limit = MAX_DELIVERIES if limit is None else limit
    admitted = Admitted()
    for record in event.get("Records", []):
        try:
            message = _QUEUED.validate_json(record.get("body", ""))
        except ValidationError as exc:
            logger.error(
                "not a send request: to the dead-letter queue after its receives",
                extra={"message_id": record.get("messageId"), "problem": _problem(exc)},
            )
            continue
        if isinstance(message, SendRequest):
            admitted.requests.append(message)
        elif admitted.requests and len(admitted.requests) + len(message.recipients) > limit:
            admitted.passed_on.add(str(record.get("messageId")))
        else:
            admitted.requests.extend(message.requests())
    return admitted


def _problem(error: ValidationError) -> str:
    """Which fields are wrong, and how (never their values: they may be personal)."""
    return "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in error.errors())[:500]


def _where(loc: tuple[int | str, ...]) -> str:
    """`v2.recipients.0.member_id`: the union's version tag first, then the field."""
    parts = [f"v{p}" if i == 0 and isinstance(p, int) else str(p) for i, p in enumerate(loc)]
    return ".".join(parts) or "body"


class Sender:
    """Long-lived (one per Lambda container); `batch`/`begin` make the per-batch state."""

    def __init__(
        self,
        *,
        planner: Planner,
        pusher: Pusher,
        multicaster: Multicaster | None,
        recorder: Recorder,
        redelivery: Redelivery,
        persistence: BasePersistenceLayer,
        config: IdempotencyConfig,
        limiter: Callable[[], RateLimiter],
        clock: Clock,
        multicast_min: int = 2,
    ) -> None:
        self.planner = planner
        self.pusher = pusher
        self.multicaster = multicaster
        self.recorder = recorder
        self.redelivery = redelivery
        self.persistence = persistence
        self.config = config
        self.new_limiter = limiter
        self.clock = clock
        self.multicast_min = multicast_min

    @contextmanager
    def batch(self, event: Mapping[str, Any], context: LambdaContext) -> Iterator[Batch]:
        """The batch of an SQS event; its results are written when the block ends."""
        # In-progress claims expire with this invocation's remaining time.
        self.config.register_lambda_context(context)
        admitted = requests_in(event)
        batch = self.begin(admitted.requests, self.clock())
        batch.passed_on = admitted.passed_on
        try:
            yield batch
        finally:
            for name, value in batch.finish().items():
                if value and "." not in name:
                    count(f"Delivery_{name}", float(value))

    def begin(self, requests: Iterable[SendRequest], now: datetime) -> Batch:
        """Plan the batch (one read of its members) and group its multicasts."""
        now = utc(now)
        planned = self.planner.plan(requests, now)
        groups = (
            multicast.group(
                planned.plans.values(),
                min_size=self.multicast_min,
                replies=self.pusher.replier is not None,
            )
            if self.multicaster is not None
            else {}
        )
        return Batch(self, planned, groups, now)


class Batch:
    """One invocation's state: plans, rate tokens, the LINE allowance and outcomes."""

    def __init__(
        self, sender: Sender, planned: BatchPlan, groups: dict[str, list[Plan]], now: datetime
    ) -> None:
        self.sender = sender
        self.now = now
        self.plans = planned.plans
        self.line = planned.line
        self.limiter = sender.new_limiter()
        self.results = Results()
        self.multicasts = Multicasts(
            sender.multicaster,
            groups,
            allowance=self.line,
            limiter=self.limiter,
            results=self.results,
        )
        self.answers: dict[str, Answer] | None = None
        """The single deliveries' outcomes (or errors), once sent."""
        self.passed_on: set[str] = set()
        """Group messages this batch has no room for (`requests_in`)."""

    @property
    def redelivery(self) -> Redelivery:
        """The queue records and group remainders go back on (`fanout.GroupBatch`)."""
        return self.sender.redelivery

    def deliver(self, record: SendRecord) -> str:
        """The record handler: the delivery's status, or RetryLater after the message
        was given back to its queue."""
        if isinstance(record.body, SendGroup):
            if record.messageId in self.passed_on:
                return fanout.pass_on(self, record, record.body)
            return fanout.deliver_group(self, record, record.body)
        return self.deliver_one(record, record.body)

    def deliver_one(self, record: SendRecord, request: SendRequest) -> str:
        try:
            outcome = self.outcome(request)
        except RetryLater as exc:
            delay = retry_delay(exc, int(record.attributes.ApproximateReceiveCount or 1))
            self.sender.redelivery.return_later(record.eventSourceARN, record.receiptHandle, delay)
            logger.info(
                "returned to queue",
                extra={
                    "delivery_id": request.delivery_id,
                    "reason": exc.reason,
                    "delay": delay,
                },
            )
            count("Retried", 1)
            raise
        log_outcome(outcome)
        return outcome.status

    def outcome(self, request: SendRequest) -> Outcome:
        """The outcome of this request, or RetryLater (it is to come back later)."""
        plan = self.plans.get(request.delivery_id)
        if plan is None:  # not in the event the batch was opened with
            plan = self.sender.planner.plan_one(request, self.now)
            self.plans[request.delivery_id] = plan
        if plan.too_early:
            reason = f"not before {plan.request.not_before}"
            self.sender.recorder.deferred(recording.outcome(plan, "deferred", reason=reason))
            raise RetryLater("not before its time", delay=plan.seconds_to_wait(), backoff=False)
        grouped = self.multicasts.deliver(plan)
        if grouped is not None:
            return grouped
        if self.answers is None:
            self.answers = self._push(
                [p for p in self.plans.values() if not p.too_early and p.group is None]
            )
        answer = self.answers.get(request.delivery_id)
        if answer is None:  # planned late, or left a multicast group
            answer = self._push([plan])[request.delivery_id]
            self.answers[request.delivery_id] = answer
        if isinstance(answer, Exception):
            raise answer
        if answer.held_until is not None:  # kept for LINE's next month: on the timeline
            self.sender.recorder.deferred(answer)
        return answer

    def _push(self, plans: list[Plan]) -> dict[str, Answer]:
        return self.sender.pusher.run(
            plans, line=self.line, limiter=self.limiter, results=self.results
        )

    def finish(self) -> Counter[str]:
        """Write the results; returns `<status>` and `<status>.<channel>` counts (metrics)."""
        summary = self.sender.recorder.finish(self.results, self.line)
        summary["limiter_draws"] = self.limiter.draws
        self.limiter.release_unused()
        return summary
