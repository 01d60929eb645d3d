"""The arithmetic of the cost model (bench/cost.py measures, this prices).

Inputs are counts per member-month (`Activity`) and per month for the whole brand
(`Fixed`), measured on the memory backend; prices come from one dated file
(`bench/prices-<region>-<date>.json`). Everything is USD per month unless named
otherwise. Channel charges (LINE's messages, SES's emails, SNS's SMS) are the same
whichever design sends them and are left out of every figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

PRICES = Path(__file__).with_name("prices-ap-northeast-1-2026-11-29.json")


def load_prices(path: Path = PRICES) -> dict[str, float]:
    data = json.loads(path.read_text())
    return {name: float(entry["usd"]) for name, entry in data["prices"].items()}


@dataclass(frozen=True)
class Activity:
    """What one member causes in one month (all functions, all requests)."""

    events: float = 0.0
    """Events ingested through the webhook (API Gateway requests)."""
    steps: float = 0.0
    """Due timers the scheduled evaluator processed (the steps a tick advanced)."""
    step_visits: float = 0.0
    """Steps entered by enrolments, wherever they ran (each step's `entered` counter):
    in a Step Functions design, a state transition each."""
    enrolments: float = 0.0
    deliveries: float = 0.0
    """Messages delivered (sent) by the sender."""
    targeted: float = 0.0
    """Probability the member is sent anything in a month (Pinpoint's MTA)."""
    read_units: float = 0.0
    write_units: float = 0.0
    sqs_requests: float = 0.0
    lambda_invocations: float = 0.0
    lambda_gb_seconds: float = 0.0
    steps_read_units: float = 0.0
    """The part of `read_units` spent advancing steps (a Step Functions design saves it)."""
    steps_write_units: float = 0.0
    steps_gb_seconds: float = 0.0
    steps_invocations: float = 0.0
    storage_gb: float = 0.0
    """The member's share of the table, GB (billed every month it is kept)."""

    def scaled(self, factor: float) -> Activity:
        return Activity(**{f.name: getattr(self, f.name) * factor for f in fields(self)})


@dataclass(frozen=True)
class Fixed:
    """What the brand's stack costs per month whatever its size."""

    schedule_invocations: float = 43_200.0
    """The evaluator's tick, every minute."""
    tick_read_units: float = 0.0
    tick_write_units: float = 0.0
    tick_gb_seconds: float = 0.0
    idle_sqs_requests: float = 0.0
    """The event source mappings' long polls of empty queues."""
    custom_metrics: float = 0.0


def kairos_month(members: int, per_member: Activity, fixed: Fixed, p: dict[str, float]) -> float:
    """Kairos's AWS bill for a month of a brand of `members`."""
    a = per_member.scaled(members)
    variable = (
        a.read_units * p["dynamodb_read_request_unit"]
        + a.write_units * p["dynamodb_write_request_unit"]
        + a.storage_gb * p["dynamodb_storage_gb_month"]
        + a.sqs_requests * p["sqs_request"]
        + a.lambda_invocations * p["lambda_request"]
        + a.lambda_gb_seconds * p["lambda_arm64_gb_second"]
        + a.events * p["api_gateway_rest_request"]
    )
    return variable + fixed_month(fixed, p)


def fixed_month(f: Fixed, p: dict[str, float]) -> float:
    ticks = f.schedule_invocations
    return (
        ticks * p["eventbridge_schedule_invocation"]
        + ticks * p["lambda_request"]
        + ticks * f.tick_gb_seconds * p["lambda_arm64_gb_second"]
        + ticks * f.tick_read_units * p["dynamodb_read_request_unit"]
        + ticks * f.tick_write_units * p["dynamodb_write_request_unit"]
        + f.idle_sqs_requests * p["sqs_request"]
        + f.custom_metrics * p["cloudwatch_custom_metric_month"]
    )


def step_functions_month(
    members: int, per_member: Activity, fixed: Fixed, p: dict[str, float]
) -> float:
    """The same brand with one Standard execution per enrolment and a state transition
    per step it enters (`step_visits`), in place of the evaluator's timers and ticks;
    ingest, trigger and segment evaluation, the stream-side step work and the sends cost
    what they cost in Kairos."""
    a = per_member.scaled(members)
    without_timers = kairos_month(members, per_member, Fixed(schedule_invocations=0), p) - (
        a.steps_read_units * p["dynamodb_read_request_unit"]
        + a.steps_write_units * p["dynamodb_write_request_unit"]
        + a.steps_gb_seconds * p["lambda_arm64_gb_second"]
        + a.steps_invocations * p["lambda_request"]
    )
    transitions = a.step_visits
    metrics = fixed.custom_metrics * p["cloudwatch_custom_metric_month"]
    idle = fixed.idle_sqs_requests * p["sqs_request"]
    return without_timers + transitions * p["stepfunctions_standard_transition"] + metrics + idle


def pinpoint_month(
    members: int, per_member: Activity, p: dict[str, float], line_gb_seconds: float
) -> float:
    """Pinpoint journeys at their last published prices: every member sent anything in
    a month is a targeted endpoint, every ingested event a Pinpoint event, and LINE
    (no Pinpoint channel) a custom channel: one Lambda invocation per message of
    `line_gb_seconds`. The webhook that turns shop and LINE events into Pinpoint events
    still runs (API Gateway and its Lambda at Kairos's measured share)."""
    a = per_member.scaled(members)
    return (
        a.targeted * p["pinpoint_monthly_targeted_audience"]
        + a.events * p["pinpoint_event"]
        + a.events * p["api_gateway_rest_request"]
        + a.events * p["lambda_request"]
        + a.deliveries * (p["lambda_request"] + line_gb_seconds * p["lambda_arm64_gb_second"])
    )


def per_million_messages(month_usd: float, members: int, per_member: Activity) -> float:
    deliveries = per_member.deliveries * members
    return month_usd / deliveries * 1_000_000 if deliveries else float("inf")


def per_thousand_members(month_usd: float, members: int) -> float:
    return month_usd / members * 1000
