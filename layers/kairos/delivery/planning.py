"""Planning: for each send request of a batch, what goes out, to whom, on which channel.

For the whole batch at once, before anything is sent:
- whether a request is due yet (`not_before`: a send not due goes back to the queue),
- its member (profiles and frequency windows of the whole batch in one read) and
  template, and its route (routing.py): the usable channels in order — address,
  following, unsubscribes, consent, bounces, SMS opt-outs, the template's bodies;
  `auto` follows `channel_priority`, a named channel falls back to `fallback`,
- LINE's monthly allowance (quota.py): one reservation for the batch's LINE sends;
  marketing sends that do not fit move on to their next usable channel,
- the content, rendered for the first usable channel (templates.py), so identical LINE
  messages can be grouped into multicasts (multicast.py).

Per delivery, at send time: the frequency cap (frequency.py, checked and counted in one
conditional write) and rendering for a fallback channel.

Quiet hours are the journey engine's: it schedules around them and the request carries
the result as `not_before`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from kairos.clock import utc
from kairos.delivery import frequency, quota
from kairos.delivery.model import ChannelName, RenderError, Window
from kairos.delivery.ports import FrequencyWindows, MemberLookup, MonthlyQuota
from kairos.delivery.routing import Route, route
from kairos.delivery.templates import Content, LineContent, RenderContext, Renderer
from kairos.delivery.tracking import Tracker
from kairos.delivery.units import unit_name
from kairos.engine.derived import member_context
from kairos.models.member import Member
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from kairos.models.template import Template


@dataclass
class Plan:
    """One delivery as planned; `group` is set when it goes out in a multicast."""

    request: SendRequest
    now: datetime
    """The later of the batch's "now" and the request's `requested_at`."""
    member: Member | None = None
    window: Window = field(default_factory=Window)
    template: Template | None = None
    route: Route | None = None
    content: Content | None = None
    """Rendered for the first usable channel."""
    render_error: str | None = None
    line_allowed: bool = True
    """False when this month's LINE allowance has no room for it."""
    group: str | None = None

    @property
    def first(self) -> tuple[ChannelName, str] | None:
        """The first usable (channel, address), LINE only while the allowance lets it."""
        if self.route is None:
            return None
        for channel, address in self.route.usable:
            if channel != "line" or self.line_allowed:
                return channel, address
        return None

    @property
    def too_early(self) -> bool:
        not_before = self.request.not_before
        return not_before is not None and utc(not_before) > self.now

    def seconds_to_wait(self) -> float:
        not_before = self.request.not_before
        return 0.0 if not_before is None else (utc(not_before) - self.now).total_seconds()


@dataclass
class BatchPlan:
    plans: dict[str, Plan]
    """By delivery id (a request delivered twice in one batch is planned once)."""
    line: quota.LineAllowance


class Planner:
    """Long-lived: the brand's settings and templates, and the reads planning needs."""

    def __init__(
        self,
        *,
        settings: Settings,
        templates: Mapping[str, Template],
        members: MemberLookup,
        windows: FrequencyWindows,
        quota: MonthlyQuota,
        tracker: Tracker,
    ) -> None:
        self.settings = settings
        self.templates = templates
        self.members = members
        self.windows = windows
        self.quota = quota
        self.tracker = tracker
        self.renderer = Renderer()

    def plan(self, requests: Iterable[SendRequest], now: datetime) -> BatchPlan:
        plans: dict[str, Plan] = {}
        for request in requests:
            plans.setdefault(request.delivery_id, self._new(request, now))
        due = [p for p in plans.values() if not p.too_early]
        self._load(due)
        line = quota.LineAllowance(
            self.quota,
            quota.month_of(now, self.settings.zone),
            self.settings.channels.line.monthly_limit,
        )
        self._reserve_line(due, line)
        for plan in due:
            self._render_first(plan)
        return BatchPlan(plans, line)

    def plan_one(self, request: SendRequest, now: datetime) -> Plan:
        """A request the batch did not plan: planned alone, with no LINE reservation
        (a LINE send it makes is counted when the batch settles its allowance)."""
        plan = self._new(request, now)
        if not plan.too_early:
            self._load([plan])
            self._render_first(plan)
        return plan

    def _new(self, request: SendRequest, now: datetime) -> Plan:
        return Plan(request=request, now=max(utc(now), utc(request.requested_at)))

    def _load(self, plans: Sequence[Plan]) -> None:
        loaded = self.members.recipients([p.request.member_id for p in plans])
        for plan in plans:
            plan.member, plan.window = loaded.get(plan.request.member_id, (None, Window()))
            plan.template = self.templates.get(plan.request.template)
            if plan.member is not None:
                plan.route = route(plan.request, self.settings, plan.member, plan.template)

    def _reserve_line(self, plans: Sequence[Plan], line: quota.LineAllowance) -> None:
        if line.limit is None:
            return
        line_first = [p for p in plans if p.first is not None and p.first[0] == "line"]
        transactional = [p for p in line_first if p.request.transactional]
        other = [p for p in line_first if not p.request.transactional]
        reservation = quota.reserve(
            self.quota, "line", line.month, line.limit, len(transactional), len(other)
        )
        line.reserved = reservation.reserved
        for plan in other[reservation.allowed_non_transactional :]:
            plan.line_allowed = False

    def _render_first(self, plan: Plan) -> None:
        first = plan.first
        if first is None or plan.template is None or plan.member is None:
            return
        try:
            plan.content = self.render(plan, first[0])
        except RenderError as exc:
            plan.render_error = exc.reason

    def render(self, plan: Plan, channel: ChannelName) -> Content:
        """The message for `channel`; RenderError when the template cannot make it."""
        assert plan.template is not None and plan.member is not None
        request, tracker = plan.request, self.tracker
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
            # Links are signed now, for this send: their lifetimes count from it.
            track=lambda url: tracker.click_url(
                request.delivery_id, request.member_id, url, plan.now
            ),
            unsubscribe_url=lambda ch: tracker.unsubscribe_url(
                request.delivery_id, request.member_id, ch, plan.now
            ),
        )
        content = self.renderer.render(plan.template, channel, context)
        if isinstance(content, LineContent):
            content = replace(content, unit=unit_name(request.journey, request.step))
        return content

    def within_cap(self, plan: Plan) -> bool:
        """True when the frequency cap lets this send go (and it is now counted);
        transactional sends bypass the cap and do not count."""
        cap = self.settings.frequency_cap
        if cap is None or plan.request.transactional:
            return True
        return frequency.check_and_count(
            self.windows,
            plan.request.member_id,
            plan.request.delivery_id,
            plan.now,
            cap,
            known=plan.window,
        )
