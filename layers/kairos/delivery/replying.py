"""Replies first: the sends a member's own LINE event made due at once (their requests
carry the event's reply token, kairos.evaluator.commit) go out as one LINE reply —
free, where a push is billed — while the token is usable; otherwise they are pushed.

Per token, in the order the event made them:

1. Each send passes the same gate a push does (member, template, route, render, the
   frequency cap). A send whose route does not start on LINE is pushed as usual (it
   was never a reply). The first sends whose messages fit in one reply (≤ 5) share it;
   the rest fall back.
2. Past the token's `by` (LINE takes a token within about a minute): all fall back,
   without asking LINE.
3. The token is taken in the store first (ports.ReplyTokens), because LINE answers
   "Invalid reply token" to a used token and to an expired one alike:
   - first take → reply;
   - taken earlier by *other* deliveries (another batch holding the same event's other
     sends) → fall back;
   - taken earlier by these deliveries, LINE's answer not recorded (the attempt died
     during the call) → **recorded sent by reply, unconfirmed, never pushed**;
   - taken earlier and LINE sent nothing → fall back.
4. LINE's answer: 200 → sent by reply (`via: reply`, not billed); the token refused, a
   429, a 5xx or an unreachable LINE (nothing sent) → the token is marked unsent and
   all fall back; a message LINE refuses → each is pushed on its own (only the bad
   one fails); no answer (a read timeout: it may have arrived) → sent by reply,
   unconfirmed, never pushed.

The policy for an unknown outcome chooses a possibly missing message over a certainly
doubled one: a reply has no retry key, and a welcome that arrives twice is what a
member notices (docs/sender.md, "Replies").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kairos.clock import utc
from kairos.delivery import recording
from kairos.delivery.channels.base import LineSender, SendResult
from kairos.delivery.limiter import RateLimiter
from kairos.delivery.model import (
    DeliveryError,
    Outcome,
    Rejected,
    RenderError,
    ReplyUnknown,
    ReplyUnusable,
    RetryLater,
)
from kairos.delivery.planning import Plan
from kairos.delivery.ports import ReplyTokens
from kairos.delivery.sending import Dispatcher
from kairos.delivery.templates import LineContent

MESSAGES_PER_REPLY = 5
REPLY_ENDPOINT = "line.reply"
UNKNOWN = "reply sent, LINE's answer unknown: not pushed again"
EARLIER_UNKNOWN = "reply sent by an earlier attempt, its answer unknown: not pushed again"


@dataclass
class Replies:
    """What the reply step decided for a batch."""

    decided: list[tuple[Plan, Outcome]] = field(default_factory=list)
    """Sent by reply, or decided without sending (the gate)."""
    push: list[Plan] = field(default_factory=list)
    """Gated already; to go by push (and the route's fallbacks)."""
    fallen_back: dict[str, str] = field(default_factory=dict)
    """Delivery id → why the reply it was offered did not carry it."""


@dataclass
class Replier:
    """Long-lived: the dispatcher (gate and rendering), LINE, and the taken tokens."""

    dispatcher: Dispatcher
    line: LineSender
    tokens: ReplyTokens
    rate_per_second: float = 2000.0

    def offered(self, plan: Plan) -> bool:
        """A send with a reply token, not in a multicast group."""
        return plan.request.reply is not None and plan.group is None

    def run(self, plans: list[Plan], limiter: RateLimiter) -> Replies:
        replies = Replies()
        by_token: dict[str, list[Plan]] = defaultdict(list)
        for plan in plans:
            assert plan.request.reply is not None
            by_token[plan.request.reply.token].append(plan)
        for token, group in by_token.items():
            group.sort(key=lambda p: p.request.reply.order if p.request.reply else 0)
            self._one_token(token, group, limiter, replies)
        return replies

    def _one_token(
        self, token: str, plans: list[Plan], limiter: RateLimiter, replies: Replies
    ) -> None:
        sharing: list[tuple[Plan, LineContent]] = []
        room = MESSAGES_PER_REPLY
        for plan in plans:
            gated = self.dispatcher.gate(plan)
            if gated is not None:
                replies.decided.append((plan, gated))
                continue
            content = self._line_content(plan)
            if content is None:  # the route starts elsewhere: never a reply
                replies.push.append(plan)
            elif isinstance(content, str):
                replies.decided.append(
                    (plan, recording.outcome(plan, "failed", channel="line", reason=content))
                )
            elif len(content.messages) > room:
                self._fall_back(plan, "more than 5 messages in one reply", replies)
            else:
                room -= len(content.messages)
                sharing.append((plan, content))
        if not sharing:
            return
        now = sharing[0][0].now
        offer = sharing[0][0].request.reply
        assert offer is not None
        if utc(now) >= utc(offer.by):
            for plan, _ in sharing:
                self._fall_back(plan, "reply token expired", replies)
            return
        # The rate token first: a reply taken in the store must be made at once.
        limiter.acquire(REPLY_ENDPOINT, self.rate_per_second)
        ids = [p.request.delivery_id for p, _ in sharing]
        earlier = self.tokens.take(token, ids, now)
        if earlier is not None:
            for plan, content in sharing:
                if plan.request.delivery_id not in earlier.delivery_ids:
                    self._fall_back(plan, "reply token used by another send", replies)
                elif earlier.state == "unsent":
                    self._fall_back(plan, "an earlier reply was not sent", replies)
                else:
                    unknown = self._replied(plan, content, None, EARLIER_UNKNOWN)
                    replies.decided.append((plan, unknown))
            return
        messages = [m for _, content in sharing for m in content.messages]
        try:
            ids_sent = self.line.reply(token, messages)
        except ReplyUnknown:
            for plan, content in sharing:
                replies.decided.append((plan, self._replied(plan, content, None, UNKNOWN)))
            return
        except Rejected as exc:
            self.tokens.unsent(token)
            for plan, _ in sharing:  # pushed one by one, only a bad message fails
                self._fall_back(plan, f"reply refused ({exc.reason})", replies)
            return
        except (ReplyUnusable, RetryLater) as exc:
            self.tokens.unsent(token)
            for plan, _ in sharing:
                self._fall_back(plan, _why(exc), replies)
            return
        at = 0
        for plan, content in sharing:
            first = ids_sent[at] if at < len(ids_sent) else None
            at += len(content.messages)
            replies.decided.append((plan, self._replied(plan, content, first, None)))

    def _line_content(self, plan: Plan) -> LineContent | str | None:
        """The plan's LINE messages when its route starts on LINE (a reply is free, so
        the month's allowance does not matter), a render failure's reason, or None."""
        route = plan.route
        if route is None or not route.usable or route.usable[0][0] != "line":
            return None
        # Rendered already when LINE is the plan's first channel (a failure to render
        # it was the gate's); rendered here when the month's allowance put email first.
        if isinstance(plan.content, LineContent):
            return plan.content
        try:
            content = self.dispatcher.planner.render(plan, "line")
        except RenderError as exc:
            return exc.reason
        return content if isinstance(content, LineContent) else None

    @staticmethod
    def _replied(
        plan: Plan, content: LineContent, message_id: str | None, unconfirmed: str | None
    ) -> Outcome:
        result = SendResult(provider_message_id=message_id)
        sent = recording.sent(plan, "line", content, result, "reply")
        return sent if unconfirmed is None else sent.model_copy(update={"reason": unconfirmed})

    @staticmethod
    def _fall_back(plan: Plan, why: str, replies: Replies) -> None:
        replies.push.append(plan)
        replies.fallen_back[plan.request.delivery_id] = why


def _why(exc: DeliveryError) -> str:
    if isinstance(exc, ReplyUnusable):
        return exc.reason
    return f"reply not sent ({exc.reason})"
