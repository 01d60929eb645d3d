"""A group message's record (`SendGroup`, v2): every member's outcome, and what is left.

The batch planned the group's members with everything else (`service.requests_in`
expands groups), so each member goes through the same claims, multicast grouping,
pushes and records as a request that came alone. This module only answers for the
record:

- every member decided (sent, failed, unreachable, capped, already done) → the record
  is acknowledged;
- some must come back later (the limiter's second full, a throttle or 5xx, a claim busy
  elsewhere) → a new group message with just those members goes on the same queue with
  their backoff (`Redelivery.send_later`, `attempt` carried on so the backoff keeps
  growing) and the record is acknowledged: the members done are never in a message
  again, and progress is made each time;
- none got anywhere (all throttled, or not due yet) → the record itself goes back, as a
  single request would, so its receives count and a group that never progresses ends in
  the dead-letter queue;
- a member raised something unexpected → the others are still delivered, then the
  record fails whole and comes back after its visibility timeout: the members already
  done are skipped by their claims (completed idempotency records), so nobody gets a
  second message;
- the batch had no room for it (`service.MAX_DELIVERIES`) → it goes back on the queue
  unchanged, at once, for another invocation (`pass_on`); its receives do not count.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

from kairos.delivery.backoff import MAX_BACKOFF, retry_delay
from kairos.delivery.model import Outcome, RetryLater
from kairos.delivery.ports import Redelivery
from kairos.delivery.recording import log_outcome
from kairos.models.send_group import SendGroup
from kairos.models.send_request import SendRequest
from kairos.observability import count, logger


class GroupBatch(Protocol):
    """What a group's record needs of the batch it is in (`service.Batch` is one): each
    member's outcome, and the queue to put members back on. A Protocol, so this module
    does not import the service that calls it."""

    @property
    def redelivery(self) -> Redelivery: ...

    def outcome(self, request: SendRequest) -> Outcome: ...


def deliver_group(batch: GroupBatch, record: SqsRecordModel, group: SendGroup) -> str:
    """The record handler for a group: a summary of its members' statuses, or
    RetryLater after the record was given back to its queue (nobody got anywhere)."""
    attempt = group.attempt + int(record.attributes.ApproximateReceiveCount or 1)
    statuses: Counter[str] = Counter()
    retry: dict[str, RetryLater] = {}
    crashed: Exception | None = None
    for request in group.requests():
        try:
            outcome = batch.outcome(request)
        except RetryLater as exc:
            retry[request.delivery_id] = exc
            continue
        except Exception as exc:
            logger.exception("delivery raised", extra={"delivery_id": request.delivery_id})
            crashed = crashed or exc
            continue
        log_outcome(outcome)
        statuses[outcome.status] += 1
    if crashed is not None:
        raise crashed
    if not retry:
        return _summary(statuses)
    count("Retried", float(len(retry)))
    delay = max(retry_delay(exc, attempt) for exc in retry.values())
    first = next(iter(retry.values()))
    where = {"journey": group.journey, "step": group.step, "reason": first.reason}
    if len(retry) == len(group.recipients):
        batch.redelivery.return_later(record.eventSourceARN, record.receiptHandle, delay)
        logger.info("group returned to queue",
                    extra={**where, "recipients": len(retry), "delay": delay})  # fmt: skip
        raise first
    remainder = group.only(retry, attempt=attempt)
    delay = min(delay, MAX_BACKOFF)  # SQS's longest DelaySeconds
    batch.redelivery.send_later(record.eventSourceARN, remainder.model_dump_json(), delay)
    logger.info("group remainder queued again",
                extra={**where, "recipients": len(retry), "done": statuses.total(),
                       "delay": delay})  # fmt: skip
    statuses["retry"] = len(retry)
    return _summary(statuses)


def pass_on(batch: GroupBatch, record: SqsRecordModel, group: SendGroup) -> str:
    """A group this batch has no room for: back on its queue as it is, for another
    invocation (a new message, so being passed on never brings it nearer the DLQ)."""
    batch.redelivery.send_later(record.eventSourceARN, group.model_dump_json(), 0)
    logger.info("group passed on",
                extra={"journey": group.journey, "step": group.step,
                       "recipients": len(group.recipients)})  # fmt: skip
    return "passed on"


def _summary(statuses: Counter[str]) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
