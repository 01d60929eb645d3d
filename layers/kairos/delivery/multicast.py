"""Multicast: byte-identical LINE messages of a batch go out as one
`POST /v2/bot/message/multicast` to up to 500 members instead of one push each.

`group` puts planned LINE sends with the same rendered message (nothing personal in the
template) into groups of at most `MULTICAST_MAX`; groups smaller than `min_size` stay
pushes. A group is sent once, on the turn of its first member's record:

1. one token of the `line.multicast` rate (a full second → every member retries later),
2. the members claimed together (ports.DeliveryClaims.claim_many, the records the
   single deliveries use): a member already done gets its earlier outcome and is left out,
   one claimed elsewhere retries later,
3. the frequency cap for each claimed member (capped ones are completed `capped`),
4. one multicast with `X-Line-Retry-Key` from the sorted delivery ids, then each
   member's outcome completes its claim. LINE's monthly limit releases the claims and
   the members are delivered one by one (their next channel); a refusal fails them; a
   throttle or 5xx releases the claims and they retry later. The claims are completed
   together (batched writes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kairos.clock import utc
from kairos.delivery import recording
from kairos.delivery.channels.base import LineSender
from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.limiter import RateLimiter, endpoint_rate
from kairos.delivery.model import MonthlyLimit, Outcome, Rejected, RetryLater
from kairos.delivery.planning import Plan, Planner
from kairos.delivery.ports import Busy, Claimed, DeliveryClaims, Done
from kairos.delivery.quota import LineAllowance
from kairos.delivery.recording import Results
from kairos.delivery.templates import LineContent

MULTICAST_MAX = 500
"""LINE's limit of recipients per multicast."""


def group(plans: Iterable[Plan], *, min_size: int, replies: bool = False) -> dict[str, list[Plan]]:
    """Identical LINE messages to several members → groups of ≤ MULTICAST_MAX (sets
    each member's `plan.group`). With `replies`, a send offered a reply token still
    young stays out: its reply is free, a multicast is billed."""
    by_message: dict[str, list[Plan]] = defaultdict(list)
    for plan in plans:
        offer = plan.request.reply
        if replies and offer is not None and utc(plan.now) < utc(offer.by):
            continue
        first = plan.first
        if first is not None and first[0] == "line" and isinstance(plan.content, LineContent):
            by_message[plan.content.group_key()].append(plan)
    groups: dict[str, list[Plan]] = {}
    for key, members in by_message.items():
        if len(members) < min_size:
            continue
        for start in range(0, len(members), MULTICAST_MAX):
            chunk = members[start : start + MULTICAST_MAX]
            if len(chunk) < min_size:
                continue
            group_id = f"{hash(key)}:{start}"
            groups[group_id] = chunk
            for plan in chunk:
                plan.group = group_id
    return groups


@dataclass
class GroupResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: dict[str, RetryLater] = field(default_factory=dict)
    individually: set[str] = field(default_factory=set)
    """Members to deliver one by one (LINE's monthly limit stopped the multicast)."""


class Multicaster:
    """Long-lived: LINE's multicast, the claims and the planner (for the cap)."""

    def __init__(self, *, planner: Planner, line: LineSender, claims: DeliveryClaims) -> None:
        self.planner = planner
        self.line = line
        self.claims = claims

    def send(
        self,
        plans: list[Plan],
        *,
        allowance: LineAllowance,
        limiter: RateLimiter,
        results: Results,
    ) -> GroupResult:
        result = GroupResult()
        try:
            rate = endpoint_rate(self.planner.settings.channels, "line.multicast")
            limiter.acquire("line.multicast", rate)
        except RetryLater as exc:
            result.errors = {p.request.delivery_id: exc for p in plans}
            return result
        claimed: list[Plan] = []
        claims = self.claims.claim_many([p.request for p in plans])
        for plan, claim in zip(plans, claims, strict=True):
            if isinstance(claim, Claimed):
                claimed.append(plan)
            elif isinstance(claim, Done):
                results.replayed(claim.outcome)
                result.outcomes[claim.outcome.delivery_id] = claim.outcome
            elif isinstance(claim, Busy):
                result.errors[plan.request.delivery_id] = claim.retry
        recipients: list[Plan] = []
        capped: list[tuple[Plan, Outcome]] = []
        for plan in claimed:
            try:
                within = self.planner.within_cap(plan)
            except Exception as exc:
                self.claims.release(plan.request, exc)
                result.errors[plan.request.delivery_id] = RetryLater(str(exc))
                continue
            if within:
                recipients.append(plan)
            else:
                capped.append((plan, recording.outcome(plan, "capped", reason="frequency cap")))
        self._complete(capped, result, results)
        if recipients:
            self._multicast(recipients, allowance, result, results)
        return result

    def _multicast(
        self,
        recipients: list[Plan],
        allowance: LineAllowance,
        result: GroupResult,
        results: Results,
    ) -> None:
        content = recipients[0].content
        assert isinstance(content, LineContent)
        addresses = [p.first[1] for p in recipients if p.first is not None]
        key = retry_key(p.request.delivery_id for p in recipients)
        try:
            sent = self.line.multicast(addresses, content, key)
        except MonthlyLimit as exc:
            allowance.exhaust()
            for plan in recipients:
                self.claims.release(plan.request, exc)
                result.individually.add(plan.request.delivery_id)
            return
        except Rejected as exc:
            failed = [
                (plan, recording.outcome(plan, "failed", channel="line", reason=exc.reason))
                for plan in recipients
            ]
            self._complete(failed, result, results)
            return
        except RetryLater as exc:
            for plan in recipients:
                self.claims.release(plan.request, exc)
                result.errors[plan.request.delivery_id] = exc
            return
        except Exception as exc:
            for plan in recipients:
                self.claims.release(plan.request, exc)
            raise
        outcomes = [(p, recording.sent(p, "line", content, sent, "multicast")) for p in recipients]
        self._complete(outcomes, result, results)

    def _complete(
        self, outcomes: list[tuple[Plan, Outcome]], result: GroupResult, results: Results
    ) -> None:
        self.claims.complete_many([(plan.request, outcome) for plan, outcome in outcomes])
        for _, outcome in outcomes:
            results.decided(outcome)
            result.outcomes[outcome.delivery_id] = outcome


class Multicasts:
    """One batch's groups: each sent once, on the turn of its first member's record."""

    def __init__(
        self,
        multicaster: Multicaster | None,
        groups: dict[str, list[Plan]],
        *,
        allowance: LineAllowance,
        limiter: RateLimiter,
        results: Results,
    ) -> None:
        self.multicaster = multicaster
        self.groups = groups
        self.allowance = allowance
        self.limiter = limiter
        self.results = results
        self.sent: dict[str, GroupResult] = {}

    def deliver(self, plan: Plan) -> Outcome | None:
        """This member's outcome from its group's multicast; RetryLater when it must
        come back later; None when it is to be delivered on its own."""
        if plan.group is None or self.multicaster is None:
            return None
        result = self.sent.get(plan.group)
        if result is None:
            result = self.multicaster.send(
                self.groups[plan.group],
                allowance=self.allowance,
                limiter=self.limiter,
                results=self.results,
            )
            self.sent[plan.group] = result
        delivery_id = plan.request.delivery_id
        if delivery_id in result.errors:
            raise result.errors[delivery_id]
        if delivery_id in result.outcomes:
            return result.outcomes[delivery_id]
        # Delivered one by one from here (LINE's monthly limit stopped the multicast).
        plan.group = None
        return None
