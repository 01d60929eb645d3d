"""Recording: what became of each delivery, and writing it down once per batch.

- `outcome` / `sent` build the `Outcome` of a planned delivery (also what the
  idempotency record keeps, so a redelivery gets the same answer back).
- `Results` collects a batch's outcomes: *fresh* ones this invocation decided, and
  *replays* an earlier attempt decided (handed back by idempotency).
- `Recorder.finish` writes every outcome's delivery record and timeline entry (batched
  puts on deterministic keys, so a replay rewrites the same items), adds the per-step
  counters for fresh outcomes only (a replay is never counted twice), reports them for
  the dashboard (kairos.step_counters) and settles the batch's LINE allowance.
  `Recorder.deferred` writes the timeline entry of a send returned to the queue until
  its `not_before`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kairos import step_counters
from kairos.delivery import billing
from kairos.delivery.channels.base import SendResult
from kairos.delivery.model import ChannelName, Outcome, Status, Via, excerpt, outcome_time
from kairos.delivery.planning import Plan
from kairos.delivery.ports import DeliveryLog, StepCounters
from kairos.delivery.quota import LineAllowance
from kairos.delivery.templates import Content, EmailContent, LineContent
from kairos.observability import logger


def outcome(
    plan: Plan,
    status: Status,
    channel: ChannelName | None = None,
    reason: str | None = None,
    **extra: Any,
) -> Outcome:
    request = plan.request
    return Outcome(
        delivery_id=request.delivery_id,
        member_id=request.member_id,
        journey=request.journey,
        step=request.step,
        template=request.template,
        enrolment_id=request.enrolment_id,
        status=status,
        time=outcome_time(plan.now),
        channel=channel,
        reason=reason,
        **extra,
    )


_VIA: dict[str, Via] = {"reply": "reply", "push": "push", "multicast": "multicast"}


def sent(
    plan: Plan, channel: ChannelName, content: Content, result: SendResult, endpoint: str | None
) -> Outcome:
    """`endpoint` is `reply`, `push` or `multicast` for LINE: the record's `via`, and
    whether LINE bills it."""
    via = _VIA.get(endpoint or "") if channel == "line" else None
    if isinstance(content, LineContent):
        text: str | None = content.text
        segments = None
    elif isinstance(content, EmailContent):
        text, segments = content.subject, None
    else:
        text, segments = content.text, content.size.segments
    return outcome(
        plan,
        "sent",
        channel=channel,
        endpoint=endpoint,
        via=via,
        billed=None if via is None else via != "reply",
        provider_message_id=result.provider_message_id,
        reason="accepted earlier (retry key)" if result.accepted_earlier else None,
        text=excerpt(text),
        segments=segments,
    )


@dataclass
class Results:
    """A batch's outcomes by delivery id."""

    fresh: dict[str, Outcome] = field(default_factory=dict)
    replays: dict[str, Outcome] = field(default_factory=dict)
    _deciding: set[str] = field(default_factory=set)

    def deciding(self, delivery_id: str) -> None:
        """This invocation is deciding the delivery (its idempotency claim is ours)."""
        self._deciding.add(delivery_id)

    def keep(self, result: Outcome) -> None:
        """An outcome from the idempotent single delivery: fresh when this invocation
        decided it, else an earlier attempt's."""
        if result.delivery_id in self._deciding:
            self.decided(result)
        else:
            self.replayed(result)

    def decided(self, result: Outcome) -> None:
        self._deciding.add(result.delivery_id)
        self.fresh[result.delivery_id] = result

    def replayed(self, result: Outcome) -> None:
        if result.delivery_id not in self.fresh:
            self.replays[result.delivery_id] = result


class Recorder:
    def __init__(
        self,
        *,
        log: DeliveryLog,
        counters: StepCounters,
        months: billing.MonthCounters | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.log = log
        self.counters = counters
        self.months = months
        """The month's bill per journey (billing.py; `kairos stats --cost`)."""
        self.zone = zone or ZoneInfo("Asia/Taipei")

    def deferred(self, result: Outcome) -> None:
        self.log.record_deferred(result)

    def finish(self, results: Results, line: LineAllowance) -> Counter[str]:
        """Write the batch's results; returns `<status>` and `<status>.<channel>` counts
        of fresh outcomes and `replayed` (for metrics)."""
        fresh = list(results.fresh.values())
        replays = [o for d, o in results.replays.items() if d not in results.fresh]
        if fresh or replays:
            self.log.record(fresh + replays)
        counters: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        summary: Counter[str] = Counter()
        for result in fresh:
            counts = counters[(result.journey, result.step)]
            counts[result.status] += 1
            summary[result.status] += 1
            if result.channel is not None:
                counts[f"{result.status}_{result.channel}"] += 1
                summary[f"{result.status}.{result.channel}"] += 1
        if counters:
            self.counters.count(counters)
            step_counters.report(counters)
        if self.months is not None and fresh:
            by_month = billing.month_counts(fresh, self.zone)
            if by_month:
                self.months.count_months(by_month)
        # A reply is free: it never counts against the month's LINE allowance.
        line.settle(
            sum(1 for o in fresh if o.status == "sent" and o.channel == "line" and o.billed)
        )
        summary["replied"] = sum(1 for o in fresh if o.via == "reply")
        summary["reply_fell_back"] = sum(1 for o in fresh if o.reply_fallback is not None)
        summary["replayed"] = len(replays)
        return summary


def log_outcome(outcome: Outcome) -> None:
    """One log line per decided delivery: ids and status, never content."""
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
