"""Cost model: what Kairos costs in AWS per 1,000,000 delivered messages and per 1,000
members a month, against a Step Functions design and Amazon Pinpoint journeys.

Method:
1. Measure. A simulated year of the example brand (`KAIROS_BENCH_COST_COPIES` copies
   of its members, default 3) runs through the real handlers on the memory backend,
   metered (bench/meter.py): per function, invocations, CPU, DynamoDB requests and
   read/write units, SQS requests; plus the event source mappings' SQS requests, the
   table's size, enrolments, steps advanced, messages sent. Then one tick with nothing
   due: what the every-minute schedule costs when idle.
2. Model Lambda's duration per invocation: CPU at the configured memory's vCPU share
   (1,769 MB = one vCPU; `infra/constructs/*`), plus 6 ms per DynamoDB request, 10 ms
   per SQS request and, for the sender, one 40 ms LINE round trip per 32 messages.
3. Price per member-month (a member's month of activity is the example brand's year
   divided by 12), plus the fixed monthly costs (43,200 ticks, idle queue polling,
   custom metrics), for brands of 10,000, 100,000 and 1,000,000 members, with the
   prices in bench/prices-ap-northeast-1-<date>.json (bench/costmodel.py).

Figures (`cost.*`): `usd_per_million_messages_<size>`, `usd_per_1000_members_month_<size>`,
the same for `step_functions_` and `pinpoint_`, the per-unit counts they come from,
and `ratio_to_step_functions` / `ratio_to_pinpoint` (the worst over the three sizes).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC
from pathlib import Path
from typing import Any

from bench import costmodel
from bench.meter import Meter, Snapshot, deployed_batches
from bench.simulate import EXAMPLES, UNTIL, scaled_brand
from kairos import metric_names
from kairos.store import keys
from kairos.store.capacity import item_size
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.pumps import schedule_event
from kairos_dev.local.simulator import Simulation, load_inputs

COPIES = int(os.environ.get("KAIROS_BENCH_COST_COPIES", "3"))
SIZES = (10_000, 100_000, 1_000_000)
DDB_LATENCY = 0.006
SQS_LATENCY = 0.010
LINE_LATENCY = 0.04
SEND_THREADS = 32
VCPU_MB = 1769
CUSTOM_METRICS = len(metric_names.billed())
"""Custom metrics a default stack publishes (kairos.metric_names: the health metrics,
one `service` dimension set each; `kairos:metrics=detailed` adds the rest)."""
IDLE_POLLS = 3 * 5 * 3 * 43_200
"""Three channel queues × five long-polling connections per event source mapping ×
one 20-second poll each, per minute, for a month."""


def sizing() -> dict[str, int]:
    from infra.constructs import sender
    from infra.constructs.function import KairosFunction

    default = int(inspect.signature(KairosFunction.__init__).parameters["memory_size"].default)
    return {"webhook": default, "evaluator": default, "tick": default, "sender": sender.MEMORY_MB}


def duration_s(kind: str, cpu_s: float, used: Snapshot, records: int, memory_mb: int) -> float:
    """Modelled Lambda duration of one invocation (see the module docstring)."""
    share = min(1.0, memory_mb / VCPU_MB)
    waits = used.ddb_requests() * DDB_LATENCY + used.sqs_requests() * SQS_LATENCY
    if kind == "sender":
        waits += math.ceil(records / SEND_THREADS) * LINE_LATENCY
    return cpu_s / share + waits


def measure(copies: int) -> dict[str, Any]:
    memory = sizing()
    with tempfile.TemporaryDirectory() as tmp:
        events_path, members_path = scaled_brand(Path(tmp), copies)
        events, start = load_inputs(events_path, UNTIL, members_path)
        sim = Simulation.start(str(EXAMPLES), start, "memory")
        backend = sim.backend
        assert isinstance(backend, MemoryBackend)
        stats: dict[str, Counter[str]] = defaultdict(Counter)
        gb_s: defaultdict[str, float] = defaultdict(float)
        steps = {"n": 0}
        original = sim.host.invoke

        def invoke(name: str, event: dict[str, Any]) -> Any:
            kind = name
            if name == "evaluator" and "Records" not in event:
                kind = "tick"
            before, cpu0 = meter.snapshot(), time.process_time()
            result = original(name, event)
            cpu = time.process_time() - cpu0
            used = meter.snapshot().minus(before)
            records = len(event.get("Records", [])) if "Records" in event else 1
            s = stats[kind]
            s["invocations"] += 1
            s["records"] += records
            s["ddb_requests"] += used.ddb_requests()
            s["sqs_requests"] += used.sqs_requests()
            gb_s[kind] += duration_s(kind, cpu, used, records, memory[kind]) * memory[kind] / 1024
            gb_s[kind + "_read_units"] += used.read_units
            gb_s[kind + "_write_units"] += used.write_units
            if kind == "tick" and isinstance(result, dict):
                steps["n"] += int(result.get("timers", 0))
            return result

        sim.host.invoke = invoke  # type: ignore[method-assign, unused-ignore]
        try:
            with Meter(backend) as meter, deployed_batches():
                deliveries = sim.run(events, UNTIL)
                total = meter.snapshot()
                idle_before, cpu0 = meter.snapshot(), time.process_time()
                original("evaluator", schedule_event(sim.clock()))
                idle_cpu = time.process_time() - cpu0
                idle = meter.snapshot().minus(idle_before)
            main = backend.aws.dynamodb.tables[sim.stack.tables["main"]]
            stored = sum(item_size(main.get(k) or {}) for k in main.all_keys())
            enrolments = sum(1 for k in main.all_keys() if k[1].startswith("ENROL#"))
            step_visits = sum(
                int((main.get(k) or {}).get("entered", {}).get("N", "0"))
                for k in main.all_keys()
                if k[0].startswith("STATS#")
                and k[1].startswith("STEP#")
                and keys.step_from_sk(k[1]) != "-"
            )
            members = sum(1 for k in main.all_keys() if k[1] == "PROFILE")
        finally:
            sim.stop()
    months = (UNTIL - start.astimezone(UTC)).total_seconds() / (86_400 * 365.25 / 12)
    sent = [d for d in deliveries if d.status == "sent"]
    targeted = {(d.member_id, d.time.strftime("%Y-%m")) for d in sent}
    return {
        "members": members,
        "months": months,
        "stats": stats,
        "gb_s": gb_s,
        "steps": steps["n"],
        "sent": len(sent),
        "targeted": len(targeted),
        "enrolments": enrolments,
        "step_visits": step_visits,
        "stored_bytes": stored,
        "total": total,
        "idle": idle,
        "idle_gb_s": duration_s("tick", idle_cpu, idle, 1, memory["tick"]) * memory["tick"] / 1024,
    }


def activity(m: dict[str, Any]) -> tuple[costmodel.Activity, costmodel.Fixed]:
    per = 1 / (m["members"] * m["months"])
    stats, gb_s, total = m["stats"], m["gb_s"], m["total"]
    kinds = ("webhook", "evaluator", "tick", "sender")
    per_member = costmodel.Activity(
        events=stats["webhook"]["invocations"] * per,
        steps=m["steps"] * per,
        enrolments=m["enrolments"] * per,
        step_visits=m["step_visits"] * per,
        deliveries=m["sent"] * per,
        targeted=m["targeted"] * per,
        read_units=total.read_units * per,
        write_units=total.write_units * per,
        # Every SQS request of the run: the evaluator's sends, the sender's returns and the
        # event source mappings' receives and deletes (Lambda's pollers bill the account).
        sqs_requests=total.sqs_requests() * per,
        lambda_invocations=sum(stats[k]["invocations"] for k in kinds) * per,
        lambda_gb_seconds=sum(gb_s[k] for k in kinds) * per,
        steps_read_units=gb_s["tick_read_units"] * per,
        steps_write_units=gb_s["tick_write_units"] * per,
        steps_gb_seconds=gb_s["tick"] * per,
        steps_invocations=stats["tick"]["invocations"] * per,
        storage_gb=m["stored_bytes"] / m["members"] / 1e9,
    )
    fixed = costmodel.Fixed(
        tick_read_units=m["idle"].read_units,
        tick_write_units=m["idle"].write_units,
        tick_gb_seconds=m["idle_gb_s"],
        idle_sqs_requests=IDLE_POLLS,
        custom_metrics=CUSTOM_METRICS,
    )
    return per_member, fixed


def transitions(size: int, per_member: costmodel.Activity, p: dict[str, float]) -> float:
    count = per_member.step_visits * size
    return count * p["stepfunctions_standard_transition"]


def price(per_member: costmodel.Activity, fixed: costmodel.Fixed) -> dict[str, float]:
    p = costmodel.load_prices()
    line_gb_s = 0.05 * 128 / 1024  # a custom-channel Lambda: 128 MB, 50 ms per message
    figures: dict[str, float] = {}
    ratios_sf, ratios_pp = [], []
    for size in SIZES:
        label = f"{size // 1000}k" if size < 1_000_000 else "1m"
        designs = {
            "": costmodel.kairos_month(size, per_member, fixed, p),
            "step_functions_": costmodel.step_functions_month(size, per_member, fixed, p),
            "pinpoint_": costmodel.pinpoint_month(size, per_member, p, line_gb_s),
        }
        for prefix, month in designs.items():
            figures[f"{prefix}usd_month_{label}"] = round(month, 2)
            figures[f"{prefix}usd_per_million_messages_{label}"] = round(
                costmodel.per_million_messages(month, size, per_member), 2
            )
            figures[f"{prefix}usd_per_1000_members_month_{label}"] = round(
                costmodel.per_thousand_members(month, size), 4
            )
        ratios_sf.append(designs[""] / designs["step_functions_"])
        ratios_pp.append(designs[""] / designs["pinpoint_"])
        figures[f"ratio_to_step_functions_{label}"] = round(ratios_sf[-1], 3)
        # The part the designs differ in: Kairos's timers and ticks against transitions.
        timers = designs[""] - (designs["step_functions_"] - transitions(size, per_member, p))
        figures[f"timers_usd_month_{label}"] = round(timers, 2)
        figures[f"orchestration_ratio_to_step_functions_{label}"] = round(
            timers / transitions(size, per_member, p), 3
        )
        figures[f"ratio_to_pinpoint_{label}"] = round(ratios_pp[-1], 3)
    figures["ratio_to_step_functions"] = round(max(ratios_sf), 3)
    figures["ratio_to_pinpoint"] = round(max(ratios_pp), 3)
    return figures


def run() -> dict[str, float]:
    m = measure(COPIES)
    per_member, fixed = activity(m)
    stats = m["stats"]
    events = max(1, stats["webhook"]["invocations"])
    figures: dict[str, float] = {
        "members_measured": float(m["members"]),
        "member_month_events": round(per_member.events, 3),
        "member_month_steps": round(per_member.steps, 3),
        "member_month_enrolments": round(per_member.enrolments, 3),
        "member_month_step_visits": round(per_member.step_visits, 3),
        "custom_metrics": float(fixed.custom_metrics),
        "member_month_messages": round(per_member.deliveries, 3),
        "member_month_read_units": round(per_member.read_units, 2),
        "member_month_write_units": round(per_member.write_units, 2),
        "member_month_sqs_requests": round(per_member.sqs_requests, 2),
        "member_month_lambda_gb_seconds": round(per_member.lambda_gb_seconds, 4),
        "ddb_requests_per_event": round(stats["webhook"]["ddb_requests"] / events, 2),
        "ddb_requests_per_step": round(stats["tick"]["ddb_requests"] / max(1, m["steps"]), 2),
        "ddb_requests_per_message": round(stats["sender"]["ddb_requests"] / max(1, m["sent"]), 2),
        "idle_tick_read_units": round(fixed.tick_read_units, 2),
    }
    figures.update(price(per_member, fixed))
    print(
        f"cost: {m['members']} members for {m['months']:.1f} months: {m['sent']} messages, "
        f"{m['steps']} steps, {stats['webhook']['invocations']} events"
    )
    for label in ("10k", "100k", "1m"):
        print(
            f"  {label:>4} members: Kairos ${figures[f'usd_month_{label}']:,.2f}/month "
            f"(${figures[f'usd_per_million_messages_{label}']:,.2f} per 1M messages, "
            f"${figures[f'usd_per_1000_members_month_{label}']:.4f} per 1,000 members); "
            f"Step Functions ${figures[f'step_functions_usd_month_{label}']:,.2f}; "
            f"Pinpoint ${figures[f'pinpoint_usd_month_{label}']:,.2f}"
        )
    return figures


TARGETS: dict[str, tuple[str, float]] = {
    "ratio_to_step_functions": ("<=", 0.2),
    "ratio_to_pinpoint": ("<", 1),
}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
