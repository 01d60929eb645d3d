"""Sending one planned delivery on its channels: the unit that runs under the delivery's
idempotency claim (service.py wraps it with Powertools' `idempotent_function`).

In order: a member that is gone, an unknown template, no usable channel or a template
that does not render end the delivery without sending; then the frequency cap; then the
route's channels in order. LINE is skipped while the month's allowance has no room
(or, with `monthly_limit_reached: next_month`, the send is kept for the next month);
LINE's own "monthly limit" answer marks the month exhausted and moves on to the next
channel; a refusal (4xx) fails for good; throttling, 5xx and timeouts raise `RetryLater`
(the claim is released and the queue retries with backoff). Nothing usable left after
LINE's limit → `quota_exceeded`.

Every LINE push carries `X-Line-Retry-Key` derived from the delivery id, so a retry
after LINE accepted but before the claim was completed is answered 409 and sends nothing.
"""

from __future__ import annotations

from kairos.delivery import recording
from kairos.delivery.channels.base import Channels, Envelope, SendResult
from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.limiter import RateLimiter, endpoint_of, endpoint_rate
from kairos.delivery.model import ChannelName, MonthlyLimit, Outcome, Rejected, RenderError
from kairos.delivery.planning import Plan, Planner
from kairos.delivery.quota import LineAllowance, next_month_start
from kairos.delivery.templates import Content, EmailContent, LineContent, SmsContent
from kairos.engine.timing import defer_for_quiet_hours


class Dispatcher:
    """Long-lived: the channel adapters and the planner (for the cap and re-rendering)."""

    def __init__(self, *, planner: Planner, channels: Channels) -> None:
        self.planner = planner
        self.channels = channels

    def gate(self, plan: Plan) -> Outcome | None:
        """The outcome of a delivery decided before any channel (a member gone, an
        unknown template, no usable channel, the frequency cap — counted when it lets
        the send go), or None: it goes."""
        request = plan.request
        if plan.member is None:
            return recording.outcome(plan, "unreachable", reason="member not found")
        if plan.template is None:
            return recording.outcome(plan, "failed", reason=f"unknown template {request.template}")
        assert plan.route is not None
        if not plan.route.usable:
            return recording.outcome(plan, "unreachable", reason=plan.route.reason())
        if plan.render_error is not None and plan.first is not None:
            return recording.outcome(
                plan, "failed", channel=plan.first[0], reason=plan.render_error
            )
        if not self.planner.within_cap(plan):
            return recording.outcome(plan, "capped", reason="frequency cap")
        return None

    def send(
        self, plan: Plan, *, line: LineAllowance, limiter: RateLimiter, gated: bool = False
    ) -> Outcome:
        """Decide and send one delivery (`gated`: `gate` let it through already). The
        caller drew the rate token for the first channel; a fallback channel draws its
        own."""
        if not gated and (decided := self.gate(plan)) is not None:
            return decided
        assert plan.route is not None
        over_quota = False
        first = plan.first
        wait = self.planner.settings.channels.line.monthly_limit_reached == "next_month"
        for channel, address in plan.route.usable:
            if channel == "line" and (not plan.line_allowed or line.exhausted):
                if wait:
                    return self._held(plan)
                over_quota = True
                continue
            if first is not None and channel == first[0] and plan.content is not None:
                content = plan.content
            else:
                try:
                    content = self.planner.render(plan, channel)
                except RenderError as exc:
                    return recording.outcome(plan, "failed", channel=channel, reason=exc.reason)
                endpoint = endpoint_of(channel)
                limiter.acquire(endpoint, endpoint_rate(self.planner.settings.channels, endpoint))
            try:
                result = self._send(plan, channel, address, content)
            except MonthlyLimit:
                line.exhaust()
                if wait and channel == "line":
                    return self._held(plan)
                over_quota = True
                continue
            except Rejected as exc:
                return recording.outcome(plan, "failed", channel=channel, reason=exc.reason)
            return recording.sent(
                plan, channel, content, result, "push" if channel == "line" else None
            )
        if over_quota:
            return recording.outcome(
                plan, "quota_exceeded", channel="line", reason="LINE monthly limit"
            )
        return recording.outcome(plan, "unreachable", reason=plan.route.reason())

    def _held(self, plan: Plan) -> Outcome:
        """Kept for LINE's next month: its first moment, after quiet hours unless the
        send is transactional (the engine's rule for sends)."""
        settings = self.planner.settings
        until = next_month_start(plan.now, settings.zone)
        if not plan.request.transactional:
            until = defer_for_quiet_hours(until, settings.quiet_hours, settings.zone)
        reason = f"LINE monthly limit: kept for {until.astimezone(settings.zone):%Y-%m}"
        return recording.outcome(plan, "deferred", channel="line", reason=reason, held_until=until)

    def _send(self, plan: Plan, channel: ChannelName, address: str, content: Content) -> SendResult:
        channels = self.channels
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
