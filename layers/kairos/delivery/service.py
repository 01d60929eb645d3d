"""The sender's logic: a batch of send requests in, one outcome per delivery out.

For a batch (what one SQS event holds):

1. `Sender.begin` reads every member's profile and frequency window in one BatchGetItem,
   routes each request (routing.py), renders it for its first usable channel
   (templates.py), reserves the LINE monthly allowance for the batch (quota.py), and
   groups byte-identical LINE messages into multicasts (≤ 500 recipients).
2. `Batch.deliver(request)` runs once per record. It draws a token from the shared rate
   limiter *before* claiming the delivery, so a throttled message costs no idempotency
   write, then runs `_attempt` under Powertools idempotency keyed on `delivery_id`: a
   redelivered message returns the first attempt's `Outcome` instead of sending again.
   Inside: the frequency cap (checked and counted atomically), then the channels in
   order — LINE's monthly limit moves on to the next channel, a 4xx fails for good,
   throttling/5xx/timeouts raise `RetryLater` (the claim is released and the queue
   retries with backoff).
3. `Batch.finish` writes every outcome's delivery record and timeline entry in batched
   puts, adds the per-step counters, and hands back unused LINE reservations.

A multicast group claims each member with the same idempotency records Powertools'
`idempotent_function` writes (same key prefix, same table), sends once, and saves each
member's outcome; so a member is never sent twice whether it went out in a multicast
or a push.

Time: `now` is the later of the request's `requested_at` and the caller's clock (the
handler's wall clock, or the simulator's virtual clock); the rate limiter alone reads
the wall clock, since provider rates are real-world.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from kairos.clock import utc
from kairos.delivery import frequency, quota
from kairos.delivery.channels.base import Channels, Envelope, SendResult
from kairos.delivery.channels.line import retry_key
from kairos.delivery.frequency import Window
from kairos.delivery.limiter import CounterStore, RateLimiter
from kairos.delivery.model import (
    ChannelName,
    DeliveryError,
    MonthlyLimit,
    Outcome,
    Rejected,
    RenderError,
    RetryLater,
    Status,
    excerpt,
    outcome_time,
)
from kairos.delivery.routing import Route, route
from kairos.delivery.templates import (
    Content,
    EmailContent,
    LineContent,
    RenderContext,
    Renderer,
    SmsContent,
)
from kairos.delivery.tracking import Tracker
from kairos.engine.derived import member_context
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template

IDEMPOTENCY_KEY_PREFIX = "kairos.sender.deliver"
IDEMPOTENCY_SECONDS = 14 * 24 * 3600
"""As long as SQS can keep a message: a redelivery within it never sends twice."""
MULTICAST_MAX = 500
MAX_VISIBILITY = 12 * 3600
MAX_BACKOFF = 900


class SenderStore(frequency.WindowStore, Protocol):
    def load(self, member_ids: Sequence[str]) -> dict[str, tuple[Member | None, Window]]: ...

    def record(self, outcomes: Sequence[Outcome]) -> None: ...

    def record_deferred(self, outcome: Outcome) -> None: ...

    def count(self, counters: Mapping[tuple[str, str], Counter[str]]) -> None: ...


class LimitStore(CounterStore, quota.QuotaStore, Protocol):
    pass


def idempotency_config(expires_after_seconds: int = IDEMPOTENCY_SECONDS) -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="delivery_id",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )


def retry_delay(error: RetryLater, receive_count: int) -> int:
    """Seconds until a returned message is visible again.

    Backoff errors grow exponentially with the receives so far (1, 2, 4 … 900 s) with
    "equal jitter" (half fixed, half random), so a throttled crowd does not come back
    all at once; a `not_before` deferral waits exactly until then."""
    if not error.backoff:
        return max(0, min(MAX_VISIBILITY, math.ceil(error.delay)))
    ceiling = min(MAX_BACKOFF, max(1.0, error.delay) * 2 ** max(0, receive_count - 1))
    return max(1, round(random.uniform(ceiling / 2, ceiling)))


def endpoint_of(channel: ChannelName, multicast: bool = False) -> str:
    if channel == "line":
        return "line.multicast" if multicast else "line.push"
    return channel


@dataclass
class Plan:
    request: SendRequest
    now: datetime
    member: Member | None = None
    window: Window = field(default_factory=Window)
    template: Template | None = None
    route: Route | None = None
    content: Content | None = None
    """Rendered for the first usable channel."""
    render_error: str | None = None
    line_allowed: bool = True
    """False when this month's LINE allowance has no room for it."""
    line_reserved: bool = False
    group: str | None = None

    @property
    def first(self) -> tuple[ChannelName, str] | None:
        if self.route is None:
            return None
        for channel, address in self.route.usable:
            if channel != "line" or self.line_allowed:
                return channel, address
        return None


@dataclass
class _GroupResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: dict[str, RetryLater] = field(default_factory=dict)
    individually: set[str] = field(default_factory=set)
    """Members to deliver one by one (LINE's monthly limit hit the multicast)."""


class Sender:
    """Long-lived (one per Lambda container): templates, clients and the idempotency
    layer. `begin` makes the per-batch state."""

    def __init__(
        self,
        *,
        settings: Settings,
        templates: Mapping[str, Template],
        store: SenderStore,
        limits: LimitStore,
        channels: Channels,
        tracker: Tracker,
        persistence: BasePersistenceLayer,
        idempotency: IdempotencyConfig | None = None,
        limiter: RateLimiter | None = None,
        multicast_min: int = 2,
    ) -> None:
        self.settings = settings
        self.templates = templates
        self.store = store
        self.limits = limits
        self.channels = channels
        self.tracker = tracker
        self.persistence = persistence
        self.idempotency = idempotency or idempotency_config()
        self.limiter_template = limiter or RateLimiter(limits)
        self.multicast_min = multicast_min
        self.renderer = Renderer()
        self._local = threading.local()
        self._attempt_once = idempotent_function(
            data_keyword_argument="request",
            persistence_store=persistence,
            config=self.idempotency,
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
        )(self._attempt)

    # ---- the batch -------------------------------------------------------------------

    def begin(self, requests: Sequence[SendRequest], now: datetime) -> Batch:
        batch = Batch(self, list(requests), utc(now))
        batch.prepare()
        return batch

    def _attempt(self, request: SendRequest) -> dict[str, Any]:
        """The idempotent unit: decide and send one delivery (Powertools stores the
        returned outcome; a redelivery gets it back without coming here)."""
        batch: Batch = self._local.batch
        batch.fresh.add(request.delivery_id)
        return batch.attempt(batch.plans[request.delivery_id]).model_dump(mode="json")

    # ---- claims for multicast members ------------------------------------------------

    def _claim(self, request: SendRequest) -> Outcome | RetryLater | None:
        """None when claimed for us; the stored outcome when already done; RetryLater
        when another invocation is on it right now."""
        self.persistence.configure(self.idempotency, key_prefix=IDEMPOTENCY_KEY_PREFIX)
        data = request.model_dump(mode="json")
        context = self.idempotency.lambda_context
        remaining = context.get_remaining_time_in_millis() if context is not None else None
        try:
            self.persistence.save_inprogress(data=data, remaining_time_in_millis=remaining)
            return None
        except IdempotencyItemAlreadyExistsError as exc:
            try:
                record = exc.old_data_record or self.persistence.get_record(data=data)
            except IdempotencyItemNotFoundError:
                return RetryLater("idempotency record changed under us", delay=1.0)
            if record is not None and record.status == "COMPLETED":
                return Outcome.model_validate(record.response_json_as_dict())
            return RetryLater("delivery in progress elsewhere", delay=5.0)

    def _complete(self, request: SendRequest, outcome: Outcome) -> None:
        self.persistence.save_success(
            data=request.model_dump(mode="json"), result=outcome.model_dump(mode="json")
        )

    def _release(self, request: SendRequest, error: Exception) -> None:
        self.persistence.delete_record(data=request.model_dump(mode="json"), exception=error)


class Batch:
    def __init__(self, sender: Sender, requests: list[SendRequest], now: datetime) -> None:
        self.sender = sender
        self.settings = sender.settings
        self.now = now
        self.requests = requests
        self.plans: dict[str, Plan] = {}
        self.fresh: set[str] = set()
        self.outcomes: dict[str, Outcome] = {}
        self.replays: dict[str, Outcome] = {}
        self.groups: dict[str, list[Plan]] = {}
        self.group_results: dict[str, _GroupResult] = {}
        self.remaining: Counter[str] = Counter()
        self.limiter = RateLimiter(
            sender.limiter_template.store,
            clock=sender.limiter_template.clock,
            sleep=sender.limiter_template.sleep,
            max_wait=sender.limiter_template.max_wait,
        )
        self.month = quota.month_of(now, self.settings.zone)
        self.line_exhausted = False
        self.reserved = 0

    # ---- 1. prepare ------------------------------------------------------------------

    def prepare(self) -> None:
        for request in self.requests:
            now = max(self.now, utc(request.requested_at))
            self.plans.setdefault(request.delivery_id, Plan(request=request, now=now))
        due = [p for p in self.plans.values() if not self._too_early(p)]
        loaded = self.sender.store.load([p.request.member_id for p in due])
        for plan in due:
            plan.member, plan.window = loaded.get(plan.request.member_id, (None, Window()))
            plan.template = self.sender.templates.get(plan.request.template)
            if plan.member is not None:
                plan.route = route(plan.request, self.settings, plan.member, plan.template)
        self._reserve_line(due)
        for plan in due:
            self._render_first(plan)
        self._group(due)
        for plan in due:
            first = plan.first
            if first is not None and plan.content is not None:
                self.remaining[endpoint_of(first[0], plan.group is not None)] += 1

    def _too_early(self, plan: Plan) -> bool:
        not_before = plan.request.not_before
        return not_before is not None and utc(not_before) > plan.now

    def _reserve_line(self, plans: list[Plan]) -> None:
        limit = self.settings.channels.line.monthly_limit
        if limit is None:
            return
        line_first = [p for p in plans if p.first is not None and p.first[0] == "line"]
        transactional = [p for p in line_first if p.request.transactional]
        other = [p for p in line_first if not p.request.transactional]
        reservation = quota.reserve(
            self.sender.limits, "line", self.month, limit, len(transactional), len(other)
        )
        self.reserved = reservation.reserved
        for plan in transactional + other[: reservation.allowed_non_transactional]:
            plan.line_reserved = True
        for plan in other[reservation.allowed_non_transactional :]:
            plan.line_allowed = False

    def _render_first(self, plan: Plan) -> None:
        first = plan.first
        if first is None or plan.template is None or plan.member is None:
            return
        try:
            plan.content = self._render(plan, first[0])
        except RenderError as exc:
            plan.render_error = exc.reason

    def _render(self, plan: Plan, channel: ChannelName) -> Content:
        assert plan.template is not None and plan.member is not None
        request, tracker = plan.request, self.sender.tracker
        # The same member view conditions see (derived stats, RFM, lifecycle in the brand
        # zone), so a template never disagrees with the branch that chose it.
        variables = member_context(plan.member, self.settings, plan.now, trigger=request.trigger)
        variables.update(
            event=request.trigger,
            trigger=request.trigger,
            journey={
                "id": request.journey,
                "version": request.journey_version,
                "step": request.step,
            },
        )
        context = RenderContext(
            variables=variables,
            track=lambda url: tracker.click_url(request.delivery_id, request.member_id, url),
            unsubscribe_url=lambda ch: tracker.unsubscribe_url(
                request.delivery_id, request.member_id, ch
            ),
        )
        return self.sender.renderer.render(plan.template, channel, context)

    def _group(self, plans: list[Plan]) -> None:
        """Identical LINE messages to several members → multicast groups of ≤ 500."""
        if self.sender.channels.line is None:
            return
        by_message: dict[str, list[Plan]] = defaultdict(list)
        for plan in plans:
            first = plan.first
            if first is not None and first[0] == "line" and isinstance(plan.content, LineContent):
                by_message[plan.content.group_key()].append(plan)
        for key, members in by_message.items():
            if len(members) < self.sender.multicast_min:
                continue
            for start in range(0, len(members), MULTICAST_MAX):
                chunk = members[start : start + MULTICAST_MAX]
                if len(chunk) < self.sender.multicast_min:
                    continue
                group_id = f"{hash(key)}:{start}"
                self.groups[group_id] = chunk
                for plan in chunk:
                    plan.group = group_id

    # ---- 2. deliver ------------------------------------------------------------------

    def deliver(self, request: SendRequest) -> Outcome:
        """The outcome of this record, or RetryLater (the caller returns it to the queue)."""
        plan = self.plans.get(request.delivery_id)
        if plan is None:  # not seen by prepare (a caller's mistake): plan it now
            plan = Plan(request=request, now=max(self.now, utc(request.requested_at)))
            self.plans[request.delivery_id] = plan
        if self._too_early(plan):
            assert plan.request.not_before is not None
            wait = (utc(plan.request.not_before) - plan.now).total_seconds()
            deferred = self._outcome(
                plan, "deferred", reason=f"not before {plan.request.not_before}"
            )
            self.sender.store.record_deferred(deferred)
            raise RetryLater("not before its time", delay=wait, backoff=False)
        if plan.group is not None:
            grouped = self._deliver_group(plan)
            if grouped is not None:
                return grouped
        first = plan.first
        if first is not None and plan.content is not None:
            endpoint = endpoint_of(first[0])
            # Before the claim: a throttled message costs no idempotency write.
            self.limiter.acquire(endpoint, self._rate(endpoint), max(1, self.remaining[endpoint]))
            self.remaining[endpoint] -= 1
        self.sender._local.batch = self
        try:
            result = self.sender._attempt_once(request=request)
        except IdempotencyAlreadyInProgressError as exc:
            raise RetryLater("delivery in progress elsewhere", delay=5.0) from exc
        outcome = Outcome.model_validate(result)
        self._keep(outcome, fresh=request.delivery_id in self.fresh)
        return outcome

    def _keep(self, outcome: Outcome, fresh: bool) -> None:
        if fresh:
            self.outcomes[outcome.delivery_id] = outcome
        elif outcome.delivery_id not in self.outcomes:
            self.replays[outcome.delivery_id] = outcome

    def _rate(self, endpoint: str) -> float:
        channels = self.settings.channels
        return {
            "line.push": channels.line.rate_per_second,
            "line.multicast": channels.line.multicast_rate_per_second,
            "email": channels.email.rate_per_second,
            "sms": channels.sms.rate_per_second,
        }[endpoint]

    def attempt(self, plan: Plan) -> Outcome:
        """Decide and send one delivery (runs inside its idempotency claim)."""
        request = plan.request
        if plan.member is None:
            return self._outcome(plan, "unreachable", reason="member not found")
        if plan.template is None:
            return self._outcome(plan, "failed", reason=f"unknown template {request.template}")
        assert plan.route is not None
        if not plan.route.usable:
            return self._outcome(plan, "unreachable", reason=plan.route.reason())
        if plan.render_error is not None and plan.first is not None:
            return self._outcome(plan, "failed", channel=plan.first[0], reason=plan.render_error)
        if not self._within_cap(plan):
            return self._outcome(plan, "capped", reason="frequency cap")
        over_quota = False
        first = plan.first
        for channel, address in plan.route.usable:
            if channel == "line" and (not plan.line_allowed or self.line_exhausted):
                over_quota = True
                continue
            if first is not None and channel == first[0] and plan.content is not None:
                content = plan.content
            else:
                try:
                    content = self._render(plan, channel)
                except RenderError as exc:
                    return self._outcome(plan, "failed", channel=channel, reason=exc.reason)
                endpoint = endpoint_of(channel)
                self.limiter.acquire(endpoint, self._rate(endpoint))
            try:
                result = self._send(plan, channel, address, content)
            except MonthlyLimit:
                self._line_exhausted()
                over_quota = True
                continue
            except Rejected as exc:
                return self._outcome(plan, "failed", channel=channel, reason=exc.reason)
            return self._sent(plan, channel, content, result, "push" if channel == "line" else None)
        if over_quota:
            return self._outcome(
                plan, "quota_exceeded", channel="line", reason="LINE monthly limit"
            )
        return self._outcome(plan, "unreachable", reason=plan.route.reason())

    def _within_cap(self, plan: Plan) -> bool:
        cap = self.settings.frequency_cap
        if cap is None or plan.request.transactional:
            return True
        return frequency.check_and_count(
            self.sender.store,
            plan.request.member_id,
            plan.request.delivery_id,
            plan.now,
            cap,
            known=plan.window,
        )

    def _send(self, plan: Plan, channel: ChannelName, address: str, content: Content) -> SendResult:
        channels = self.sender.channels
        request = plan.request
        envelope = Envelope(
            request.delivery_id, request.journey, request.step, request.transactional
        )
        if channel == "line" and isinstance(content, LineContent) and channels.line:
            return channels.line.push(address, content, retry_key([request.delivery_id]))
        if channel == "email" and isinstance(content, EmailContent) and channels.email:
            return channels.email.send(address, content, envelope)
        if channel == "sms" and isinstance(content, SmsContent) and channels.sms:
            return channels.sms.send(address, content, envelope)
        raise Rejected(f"{channel} is not configured")

    def _line_exhausted(self) -> None:
        # Remember it for the month, so later batches skip LINE without asking again.
        if not self.line_exhausted:
            self.line_exhausted = True
            self.sender.limits.mark_exhausted("line", self.month)

    # ---- multicast -------------------------------------------------------------------

    def _deliver_group(self, plan: Plan) -> Outcome | None:
        assert plan.group is not None
        result = self.group_results.get(plan.group)
        if result is None:
            result = self._send_group(self.groups[plan.group])
            self.group_results[plan.group] = result
        delivery_id = plan.request.delivery_id
        if delivery_id in result.errors:
            raise result.errors[delivery_id]
        if delivery_id in result.outcomes:
            return result.outcomes[delivery_id]
        # Delivered one by one from here (LINE's monthly limit stopped the multicast).
        plan.group = None
        return None

    def _send_group(self, plans: list[Plan]) -> _GroupResult:
        result = _GroupResult()
        try:
            self.limiter.acquire("line.multicast", self._rate("line.multicast"))
        except RetryLater as exc:
            result.errors = {p.request.delivery_id: exc for p in plans}
            return result
        claimed: list[Plan] = []
        for plan in plans:
            claim = self.sender._claim(plan.request)
            if claim is None:
                claimed.append(plan)
            elif isinstance(claim, Outcome):
                self.replays[claim.delivery_id] = claim
                result.outcomes[claim.delivery_id] = claim
            else:
                result.errors[plan.request.delivery_id] = claim
        recipients: list[Plan] = []
        for plan in claimed:
            try:
                within = self._within_cap(plan)
            except Exception as exc:
                self.sender._release(plan.request, exc)
                result.errors[plan.request.delivery_id] = RetryLater(str(exc))
                continue
            if within:
                recipients.append(plan)
            else:
                self._finish_claim(
                    plan, self._outcome(plan, "capped", reason="frequency cap"), result
                )
        if not recipients:
            return result
        content = recipients[0].content
        assert isinstance(content, LineContent) and self.sender.channels.line is not None
        addresses = [p.first[1] for p in recipients if p.first is not None]
        key = retry_key(p.request.delivery_id for p in recipients)
        try:
            sent = self.sender.channels.line.multicast(addresses, content, key)
        except MonthlyLimit as exc:
            self._line_exhausted()
            for plan in recipients:
                self.sender._release(plan.request, exc)
                result.individually.add(plan.request.delivery_id)
            return result
        except Rejected as exc:
            for plan in recipients:
                failed = self._outcome(plan, "failed", channel="line", reason=exc.reason)
                self._finish_claim(plan, failed, result)
            return result
        except RetryLater as exc:
            for plan in recipients:
                self.sender._release(plan.request, exc)
                result.errors[plan.request.delivery_id] = exc
            return result
        except Exception as exc:
            for plan in recipients:
                self.sender._release(plan.request, exc)
            raise
        for plan in recipients:
            self._finish_claim(plan, self._sent(plan, "line", content, sent, "multicast"), result)
        return result

    def _finish_claim(self, plan: Plan, outcome: Outcome, result: _GroupResult) -> None:
        self.sender._complete(plan.request, outcome)
        self.fresh.add(outcome.delivery_id)
        self.outcomes[outcome.delivery_id] = outcome
        result.outcomes[outcome.delivery_id] = outcome

    # ---- outcomes --------------------------------------------------------------------

    def _outcome(
        self,
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

    def _sent(
        self,
        plan: Plan,
        channel: ChannelName,
        content: Content,
        result: SendResult,
        endpoint: str | None,
    ) -> Outcome:
        if isinstance(content, LineContent):
            text: str | None = content.text
            segments = None
        elif isinstance(content, EmailContent):
            text, segments = content.subject, None
        else:
            text, segments = content.text, content.size.segments
        return self._outcome(
            plan,
            "sent",
            channel=channel,
            endpoint=endpoint,
            provider_message_id=result.provider_message_id,
            reason="accepted earlier (retry key)" if result.accepted_earlier else None,
            text=excerpt(text),
            segments=segments,
        )

    # ---- 3. finish -------------------------------------------------------------------

    def finish(self) -> Counter[str]:
        """Write results; returns `<status>` and `<status>.<channel>` counts (metrics)."""
        fresh = list(self.outcomes.values())
        replays = [o for d, o in self.replays.items() if d not in self.outcomes]
        if fresh or replays:
            self.sender.store.record(fresh + replays)
        counters: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        summary: Counter[str] = Counter()
        for outcome in fresh:
            counts = counters[(outcome.journey, outcome.step)]
            counts[outcome.status] += 1
            summary[outcome.status] += 1
            if outcome.channel is not None:
                counts[f"{outcome.status}_{outcome.channel}"] += 1
                summary[f"{outcome.status}.{outcome.channel}"] += 1
        if counters:
            self.sender.store.count(counters)
        if self.settings.channels.line.monthly_limit is not None:
            used = sum(1 for o in fresh if o.status == "sent" and o.channel == "line")
            if used != self.reserved:
                # Hand back reservations not used; count LINE sends made off-plan.
                self.sender.limits.add("line", self.month, used - self.reserved)
        summary["replayed"] = len(replays)
        summary["limiter_draws"] = self.limiter.draws
        self.limiter.release_unused()
        return summary


__all__ = [
    "Batch",
    "DeliveryError",
    "Plan",
    "RetryLater",
    "Sender",
    "idempotency_config",
    "retry_delay",
]
