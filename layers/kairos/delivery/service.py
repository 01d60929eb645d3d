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
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json, ValidationError

from kairos.clock import Clock, utc
from kairos.delivery import multicast, recording
from kairos.delivery.backoff import retry_delay
from kairos.delivery.limiter import RateLimiter
from kairos.delivery.model import Outcome, RetryLater
from kairos.delivery.multicast import Multicaster, Multicasts
from kairos.delivery.planning import BatchPlan, Plan, Planner
from kairos.delivery.ports import Redelivery
from kairos.delivery.pushing import Answer, Pusher
from kairos.delivery.recording import Recorder, Results
from kairos.models.send_request import SendRequest
from kairos.observability import count, logger


class SendRecord(SqsRecordModel):
    """An SQS record whose body is a send request (the BatchProcessor's model: a body
    that does not parse fails its record, and SQS moves it to the DLQ in the end)."""

    body: Json[SendRequest]


def requests_in(event: Mapping[str, Any]) -> list[SendRequest]:
    """Every parseable request of an SQS event (the processor reports the others)."""
    parsed = []
    for record in event.get("Records", []):
        try:
            parsed.append(SendRequest.model_validate_json(record.get("body", "")))
        except ValidationError:
            continue
    return parsed


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
        batch = self.begin(requests_in(event), self.clock())
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
            multicast.group(planned.plans.values(), min_size=self.multicast_min)
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

    def deliver(self, record: SendRecord) -> str:
        """The record handler: the delivery's status, or RetryLater after the message
        was given back to its queue."""
        try:
            outcome = self.outcome(record.body)
        except RetryLater as exc:
            delay = retry_delay(exc, int(record.attributes.ApproximateReceiveCount or 1))
            self.sender.redelivery.return_later(record.eventSourceARN, record.receiptHandle, delay)
            logger.info(
                "returned to queue",
                extra={
                    "delivery_id": record.body.delivery_id,
                    "reason": exc.reason,
                    "delay": delay,
                },
            )
            count("Retried", 1)
            raise
        logger.info(
            "delivery",
            extra={
                "delivery_id": outcome.delivery_id,
                "member_id": outcome.member_id,
                "status": outcome.status,
                "channel": outcome.channel,
                "provider_message_id": outcome.provider_message_id,
            },
        )
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
