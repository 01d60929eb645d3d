"""Every custom metric Kairos publishes, and which of them a stack pays for by default.

Metrics are CloudWatch EMF documents (Powertools, namespace `Kairos`) with one dimension,
`service` (the function), so each name in `HEALTH` and `DETAILED` is one billed custom
metric a month ($0.30 in Tokyo; docs/performance.md). Per-journey and per-step figures
are the `STATS#` counters in DynamoDB (`kairos stats`), already paid for; the evaluator
and the sender also log each commit's increments (`step counters` lines, kairos.step_counters),
which the dashboard sums with Logs Insights at no metric cost.

- `HEALTH`: what the stack's alarms and the dashboard's health graphs read, and what no
  free AWS metric shows (a send that fails at the provider is not a Lambda error).
  Always published.
- `DETAILED`: traffic and diagnostics. Published only when the stack is deployed with
  `-c kairos:metrics=detailed` (the functions' `KAIROS_METRICS`).
- `STEP_COUNTERS`: the journey step counters that detailed mode also publishes as
  metrics, dimensions `service`, `journey` and `step`: each name a step counts is one
  billed metric per journey step (docs/deploy.md prices it), so never by default.

`kairos.observability.count` refuses a name missing here, and
tests/unit/test_metric_names.py checks that the code emits exactly these names;
bench/cost.py prices `len(billed())`.
"""

from __future__ import annotations

import os

MODE_ENV = "KAIROS_METRICS"
DETAILED_MODE = "detailed"

HEALTH: dict[str, str] = {
    "Delivery_failed": "sender: sends the provider refused (an expired token fails them all)",
    "Delivery_quota_exceeded": "sender: LINE's monthly quota used up (alarm line-monthly-quota)",
    "TimersFailed": "evaluator: due timers that failed, retried next tick (alarm timers-failing:"
    " a tick catches its own errors, so no Lambda error shows them)",
}

DETAILED: dict[str, str] = {
    "EventsReceived": "webhook: events applied per request (API Gateway counts requests free)",
    "LineEventsNotActedOn": "webhook: LINE event types Kairos ignores",
    "LineEventsMalformed": "webhook: LINE events that failed validation (also logged)",
    "EmailEventsReceived": "webhook: SES engagement events matched to a delivery",
    "EmailEventsUnmatched": "webhook: SES events for mail Kairos did not send",
    "TimersProcessed": "evaluator: due timers a tick processed",
    "Delivery_sent": "sender: per batch (the journey's `sent` counters hold the same)",
    "Delivery_unreachable": "sender: no channel could reach the member",
    "Delivery_capped": "sender: held back by a frequency cap",
    "Delivery_deferred": "sender: returned to the queue until its not_before",
    "Delivery_replayed": "sender: redelivered messages answered from their record",
    "Delivery_replied": "sender: LINE messages sent free, as replies to the member's own event",
    "Delivery_reply_fell_back": "sender: sends offered a reply token that went by push instead",
    "Delivery_limiter_draws": "sender: rate-limiter windows drawn",
    "Retried": "sender: sends returned to their queue for a later retry (throttling)",
    "CollectEventsApplied": "webhook: website browse events applied (POST /collect)",
    "CollectEventsDropped": "webhook: browse events dropped: too old, ahead, repeated",
    "CollectBotRequests": "webhook: /collect requests from bots and crawlers, dropped",
    "CollectRefused": "webhook: /collect requests refused (bad body, key or origin)",
    "CollectProofsRefused": "webhook: identity proofs refused (forged, expired, replayed)",
}


STEP_COUNTERS: dict[str, str] = {
    "entered": "evaluator: members who entered the journey (step `-`) or the step",
    "sent": "sender: sends the provider accepted",
    "failed": "sender: sends the provider refused",
    "opened": "evaluator: first opens of a step's email (SES engagement)",
    "clicked": "evaluator: first clicks on a step's message (SES, tracked links)",
    "converted": "evaluator: enrolments that reached a goal (step `-`)",
    "completed": "evaluator: enrolments that reached the journey's end (step `-`)",
    "exited": "evaluator: enrolments that left early (step `-`)",
}
"""Rule 5's counters as metrics. `delivered` is not a counter: a send the provider
accepted is `sent`, and `steps.<id>.delivered` reads "sent and not bounced"."""


STEP_COUNTERS_LOG = "step counters"
"""The message of the log lines carrying them (kairos.step_counters), always written:
the dashboard's "Journey steps" Logs Insights widget filters on it."""


def detailed() -> bool:
    """Whether this function publishes the `DETAILED` metrics too."""
    return os.environ.get(MODE_ENV, "") == DETAILED_MODE


def published(name: str) -> bool:
    if name not in HEALTH and name not in DETAILED:
        raise ValueError(f"metric {name!r} is not in kairos.metric_names")
    return name in HEALTH or detailed()


def billed(detailed: bool = False) -> list[str]:
    """The custom metrics a stack is billed for (one `service` dimension set each)."""
    return sorted(HEALTH) + (sorted(DETAILED) if detailed else [])
