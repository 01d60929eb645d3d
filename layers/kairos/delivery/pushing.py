"""Pushing: a batch's single deliveries (everything not in a multicast group) claimed
together, sent concurrently within the shared limiter's grant, completed together.

1. **Claim** every delivery at once (ports.DeliveryClaims.claim_many: one DynamoDB
   transaction per 100 on the production store). A delivery an earlier attempt finished
   gets that outcome back and sends nothing; one claimed elsewhere retries later.
2. **Send** per endpoint (`line.push`, `email`, `sms`): draw what this second allows
   from the shared limiter (`RateLimiter.grant`, at most what is left to send), send
   that many at once on a small thread pool (a LINE push spends ~40 ms waiting on the
   network, so one after another would cap an invocation at ~25/s), repeat. A throttle
   past the limiter's wait returns the rest to the queue. Each delivery is
   `Dispatcher.send`: the cap, fallbacks and provider answers as before.
3. **Hold** what LINE's month cannot take when the brand waits for the next month
   (`SendHolds`: a due timer puts it back on its queue then; its claim is released).
4. **Complete** the claims of every decided delivery at once (`complete_many`: batched
   writes). A delivery that raised has its claim released, so the retry may send. If
   completing fails (the function dies), nothing is recorded and the claims stay in
   progress until their expiry: the retry sends again with the same LINE retry key,
   which LINE answers 409 — the guarantee of the single idempotent delivery.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kairos.delivery.limiter import RateLimiter, endpoint_of, endpoint_rate
from kairos.delivery.model import Outcome, RetryLater
from kairos.delivery.planning import Plan
from kairos.delivery.ports import Busy, Claimed, DeliveryClaims, Done, SendHolds
from kairos.delivery.quota import LineAllowance
from kairos.delivery.recording import Results
from kairos.delivery.replying import Replier
from kairos.delivery.sending import Dispatcher

SEND_CONCURRENCY = 32
"""Sends one invocation has in flight at once (infra/constructs/sender.py sizes the
function for it)."""

Answer = Outcome | Exception
"""A delivery's outcome, or the error its record fails with (RetryLater: back to the
queue with backoff)."""


@dataclass
class Pusher:
    """Long-lived (one per container): the dispatcher, the claims and the thread pool."""

    dispatcher: Dispatcher
    claims: DeliveryClaims
    replier: Replier | None = None
    """Sends offered a reply token try it first (replying.py); None: everything pushed."""
    holds: SendHolds | None = None
    """Where sends kept for LINE's next month wait (`monthly_limit_reached: next_month`)."""
    concurrency: int = SEND_CONCURRENCY
    """Sends in flight at once per invocation (bounded by the limiter's grant too); 1:
    one after another on the caller's thread (a transport that never waits on a
    network, as a simulation's, gains nothing from threads)."""

    def __post_init__(self) -> None:
        self._pool = (
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="kairos-send")
            if self.concurrency > 1
            else None
        )

    def run(
        self,
        plans: list[Plan],
        *,
        line: LineAllowance,
        limiter: RateLimiter,
        results: Results,
    ) -> dict[str, Answer]:
        answers: dict[str, Answer] = {}
        claimed: list[Plan] = []
        for plan, claim in zip(
            plans, self.claims.claim_many([p.request for p in plans]), strict=True
        ):
            delivery_id = plan.request.delivery_id
            if isinstance(claim, Claimed):
                claimed.append(plan)
            elif isinstance(claim, Done):
                results.replayed(claim.outcome)
                answers[delivery_id] = claim.outcome
            elif isinstance(claim, Busy):
                answers[delivery_id] = claim.retry
        decided: list[tuple[Plan, Outcome]] = []
        gated: dict[str, str | None] = {}
        """Delivery id → why its reply fell back (None: it was never a reply)."""
        if self.replier is not None:
            claimed, gated = self._reply_first(claimed, limiter, decided, answers)
        for endpoint, queue in self._by_endpoint(claimed).items():
            while queue:
                if endpoint is None:  # decided without sending on the first channel
                    chunk, queue = queue, []
                else:
                    rate = endpoint_rate(self.dispatcher.planner.settings.channels, endpoint)
                    try:
                        granted = limiter.grant(endpoint, rate, len(queue))
                    except RetryLater as exc:
                        for plan in queue:
                            self._failed(plan, exc, answers)
                        break
                    chunk, queue = queue[:granted], queue[granted:]
                sent = self._send(chunk, line, limiter, gated)
                for plan, answer in zip(chunk, sent, strict=True):
                    if isinstance(answer, Outcome):
                        why = gated.get(plan.request.delivery_id)
                        if why is not None:
                            answer = answer.model_copy(update={"reply_fallback": why})
                        decided.append((plan, answer))
                    else:
                        self._failed(plan, answer, answers)
        decided = self._hold(decided, answers)
        try:
            self.claims.complete_many([(p.request, o) for p, o in decided])
        except Exception as exc:
            # As if the function died here: nothing recorded, claims left to expire.
            for plan, _ in decided:
                answers[plan.request.delivery_id] = exc
            return answers
        for plan, outcome in decided:
            results.decided(outcome)
            answers[plan.request.delivery_id] = outcome
        return answers

    def _hold(
        self, decided: list[tuple[Plan, Outcome]], answers: dict[str, Answer]
    ) -> list[tuple[Plan, Outcome]]:
        """Sends kept for next month go back on their queue then, their claims released
        (that later attempt is the one that sends); the rest are decided."""
        rest: list[tuple[Plan, Outcome]] = []
        for plan, outcome in decided:
            if outcome.held_until is None:
                rest.append((plan, outcome))
                continue
            try:
                if self.holds is None:
                    raise RuntimeError("no place to keep a send for next month")
                self.holds.hold(plan.request, outcome.held_until)
            except Exception as exc:  # the message is retried, nothing kept
                self._failed(plan, exc, answers)
                continue
            self.claims.release(plan.request, RuntimeError("kept for next month"))
            answers[plan.request.delivery_id] = outcome
        return rest

    @staticmethod
    def _by_endpoint(plans: list[Plan]) -> dict[str | None, list[Plan]]:
        """The endpoint whose token each send needs first (None: no send on it)."""
        queues: dict[str | None, list[Plan]] = defaultdict(list)
        for plan in plans:
            first = plan.first
            usable = first is not None and plan.content is not None
            queues[endpoint_of(first[0]) if first is not None and usable else None].append(plan)
        return queues

    def _reply_first(
        self,
        claimed: list[Plan],
        limiter: RateLimiter,
        decided: list[tuple[Plan, Outcome]],
        answers: dict[str, Answer],
    ) -> tuple[list[Plan], dict[str, str | None]]:
        """Replies for the sends offered a token; the plans left to push (those gated
        already mapped to why their reply fell back)."""
        assert self.replier is not None
        offered: list[Plan] = []
        rest: list[Plan] = []
        for plan in claimed:
            (offered if self.replier.offered(plan) else rest).append(plan)
        if not offered:
            return claimed, {}
        try:
            replies = self.replier.run(offered, limiter)
        except Exception as exc:  # the token store or LINE failed oddly: retry them all
            for plan in offered:
                self._failed(plan, exc, answers)
            return rest, {}
        decided.extend(replies.decided)
        gated = {
            p.request.delivery_id: replies.fallen_back.get(p.request.delivery_id)
            for p in replies.push
        }
        return rest + replies.push, gated

    def _send(
        self,
        chunk: list[Plan],
        line: LineAllowance,
        limiter: RateLimiter,
        gated: dict[str, str | None],
    ) -> list[Answer]:
        def attempt(plan: Plan) -> Answer:
            try:
                passed = plan.request.delivery_id in gated
                return self.dispatcher.send(plan, line=line, limiter=limiter, gated=passed)
            except Exception as exc:  # RetryLater, or a fault the record reports
                return exc

        if len(chunk) == 1 or self._pool is None:
            return [attempt(plan) for plan in chunk]
        return list(self._pool.map(attempt, chunk))

    def _failed(self, plan: Plan, error: Exception, answers: dict[str, Answer]) -> None:
        """Nothing was sent (or the provider refused for now): free the claim."""
        self.claims.release(plan.request, error)
        answers[plan.request.delivery_id] = error
