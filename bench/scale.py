"""Scale curve: per-unit DynamoDB work at brands of 10,000 and 100,000 members (and
1,000,000 with `KAIROS_BENCH_SCALE_SIZES=10000,100000,1000000`), on the memory backend.

For each size, a fresh memory backend gets:
- the background brand, generated in batches straight into the table (the stream off,
  so no evaluator runs for it): profiles with LINE ids, names, birthdays, tags and order
  statistics, their aliases, a live enrolment for every fourth member (with its `gsi1`
  entry), and `CRON_MEMBERS` members in the `weekend-coffee` segment (the example
  brand's cron audience, every Saturday 08:00);
- then the measured load, the same at every size: a simulated year of the example
  brand's own members and events through the real handlers (bench/cost.py's metering).

Per-unit figures (DynamoDB requests, from the memory backend's counters): per ingested
event (webhook), per profile change the evaluator reads from the stream (trigger and
segment-entry work), per step advanced by a tick (the due timers of the example brand:
a fixed number at every size), per message sent, per member a cron firing enrols.
`max_over_min_per_unit` is the worst max/min ratio of any of them across sizes.

Hot keys: WCU per partition key during the run (bench/meter.py), per message sent (the
sender's writes) and per event ingested (the webhook's and the evaluator's stream
work); the hottest shared key's (`SHARED`) share times 2,000 sends/s and 10,000
events/s, against DynamoDB's 1,000 WCU/s per partition. A member's own keys are
reported apart, per unit: they carry one member's traffic, whatever the brand's rate.
The sender's batches are up to the deployed 100 (`bench.meter.deployed_batches`); the
simulator drains the queues after every event, so only bursts (the cron audience) fill
them, and per-batch keys (limiter windows, step counters) are written more often per
message than at a sustained 2,000/s: the send figure is an upper bound.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.meter import Meter, deployed_batches
from bench.simulate import EXAMPLES, UNTIL, scaled_brand
from kairos.engine.enrolment import Enrolment
from kairos.models.member import Member, Stats
from kairos.store import keys
from kairos.store.codec import to_item
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.simulator import Simulation, load_inputs

SIZES = tuple(int(s) for s in os.environ.get("KAIROS_BENCH_SCALE_SIZES", "10000,100000").split(","))
CRON_MEMBERS = int(os.environ.get("KAIROS_BENCH_SCALE_CRON", "100"))
SEND_RATE = 2000
EVENT_RATE = 10_000
PARTITION_WCU = 1000
PLOT = Path(os.environ.get("KAIROS_BENCH_SCALE_PLOT", Path(__file__).with_name("scale.png")))
SHARED = (
    "STATS#",
    "SEGMENT#",
    "DUE#",
    "DUEDAY#",
    "DUEMONTH#",
    "LIMIT#",
    "QUOTA#",
    "CURSOR#",
    "JOURNEY#",
)
"""Keys every member's traffic can land on; the others (`MEMBER#`, `ALIAS#`, `EVENT#`,
`DELIVERY#`) take one member's or one event's writes only."""
UNITS = ("event", "profile_change", "step", "message", "cron_enrolment")


def _background(i: int, start: datetime) -> list[dict[str, Any]]:
    member_id = f"bg{i:07d}"
    line = f"Ubg{i:07d}"
    cron = i < CRON_MEMBERS
    last = start - timedelta(days=3 if cron else 40 + i % 300)
    member = Member(
        member_id=member_id,
        profile={
            "line_user_id": line,
            "line_following": True,
            "name": f"會員{i}",
            "birthday": f"19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        },
        tags=[f"t{i % 7}"] + (["vip"] if i % 50 == 0 else []),
        stats=Stats(
            order_count=3,
            total_spent=1000 + i % 9000,
            first_order_at=last - timedelta(days=60),
            last_order_at=last,
            category_counts={"coffee": 3} if cron else {"mattress": 1},
            weekday_counts={"sat": 3} if cron else {"tue": 1},
        ),
        identifiers={"line_user_id": line},
        version=1,
        created_at=start - timedelta(days=400),
        updated_at=last,
    )
    values = member.model_dump(mode="json") | {"pk": keys.member_pk(member_id), "sk": "PROFILE"}
    items = [
        values,
        {"pk": keys.alias_pk("line_user_id", line), "sk": "ALIAS", "kind": "line_user_id",
         "member_id": member_id},
    ]  # fmt: skip
    if i % 4 == 0:
        enrolment = Enrolment(
            id=f"e{i}",
            journey="bench-live",
            journey_version="1",
            member_id=member_id,
            step="wait",
            wait_until=start + timedelta(days=400),
            entered_at=last,
            version=1,
        )
        items.append(
            {
                "pk": keys.member_pk(member_id),
                "sk": keys.enrolment_sk("bench-live", enrolment.id),
                "enrolment": enrolment.model_dump(mode="json"),
                "version": 1,
                "state": "active",
                "gsi1pk": keys.journey_pk("bench-live"),
                "gsi1sk": f"wait#{member_id}",
            }
        )
    if cron:
        items.append(
            {
                "pk": keys.segment_pk("weekend-coffee"),
                "sk": keys.member_pk(member_id),
                "member_id": member_id,
            }
        )
    return items


def seed(backend: MemoryBackend, table_name: str, size: int, start: datetime) -> float:
    """The background brand, in batches of 25 written straight to the table."""
    table = backend.aws.dynamodb.tables[table_name]
    began = time.perf_counter()
    table.stream_enabled = False
    try:
        for i in range(size):
            for item in _background(i, start):
                table.put(to_item(item))
    finally:
        table.stream_enabled = True
    return time.perf_counter() - began


def measure(size: int) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        events_path, members_path = scaled_brand(Path(tmp), 1)
        events, start = load_inputs(events_path, UNTIL, members_path)
        sim = Simulation.start(str(EXAMPLES), start, "memory")
        backend = sim.backend
        assert isinstance(backend, MemoryBackend)
        seed_s = seed(backend, sim.stack.tables["main"], size, start.astimezone(UTC))
        work: dict[str, Counter[str]] = defaultdict(Counter)
        hot: dict[str, defaultdict[str, float]] = {
            "message": defaultdict(float),
            "event": defaultdict(float),
        }
        original = sim.host.invoke

        def invoke(name: str, event: dict[str, Any]) -> Any:
            kind = name
            if name == "evaluator" and "Records" not in event:
                moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
                cron = moment.weekday() == 5 and moment.hour == 0  # 08:00 Asia/Taipei
                kind = "cron" if cron else "tick"
            before, pks = meter.snapshot(), dict(meter.writes_by_pk)
            enrolled = meter.enrolments
            result = original(name, event)
            used = meter.snapshot().minus(before)
            s = work[kind]
            s["invocations"] += 1
            s["ddb"] += used.ddb_requests()
            s["records"] += len(event.get("Records", []))
            s["enrolled"] += meter.enrolments - enrolled
            if kind == "tick" and isinstance(result, dict):
                s["timers"] += int(result.get("timers", 0))
            # Ingest's load is the webhook and the evaluator's stream work it causes;
            # ticks are the steps' load, the sender the sends'.
            if kind in ("webhook", "evaluator", "sender"):
                target = hot["message"] if kind == "sender" else hot["event"]
                for pk, wcu in meter.writes_by_pk.items():
                    if wcu != pks.get(pk, 0.0):
                        target[pk] += wcu - pks.get(pk, 0.0)
            return result

        sim.host.invoke = invoke  # type: ignore[method-assign, unused-ignore]
        began = time.perf_counter()
        try:
            with Meter(backend) as meter, deployed_batches():
                deliveries = sim.run(events, UNTIL)
        finally:
            sim.stop()
        run_s = time.perf_counter() - began
    sent = sum(1 for d in deliveries if d.status == "sent")
    events_in = work["webhook"]["invocations"]
    figures: dict[str, Any] = {
        "seed_s": round(seed_s, 1),
        "run_s": round(run_s, 1),
        "per_event": work["webhook"]["ddb"] / max(1, events_in),
        "per_profile_change": work["evaluator"]["ddb"] / max(1, work["evaluator"]["records"]),
        "per_step": work["tick"]["ddb"] / max(1, work["tick"]["timers"]),
        "per_message": work["sender"]["ddb"] / max(1, sent),
        "per_cron_enrolment": work["cron"]["ddb"] / max(1, work["cron"]["enrolled"]),
        "cron_enrolled": float(work["cron"]["enrolled"]),
        "timers": float(work["tick"]["timers"]),
        "messages": float(sent),
    }
    # Hot keys: the hottest shared partition's WCU per unit of load, at the stated rates;
    # and the hottest key of any kind (a member's own, in this small brand's mix).
    for label, counter, units, rate in (
        ("sends", hot["message"], sent, SEND_RATE),
        ("events", hot["event"], events_in, EVENT_RATE),
    ):
        shared = {pk: w for pk, w in counter.items() if pk.startswith(SHARED)}
        if shared and units:
            pk, wcu = max(shared.items(), key=lambda kv: kv[1])
            figures[f"hot_{label}_wcu_per_s"] = wcu / units * rate
            figures[f"hot_{label}_key"] = pk
        # Each kind of shared key's hottest partition, so a fix to one shows which is next.
        for prefix in SHARED:
            of_kind = [w for pk, w in shared.items() if pk.startswith(prefix)]
            if of_kind and units:
                kind = prefix.rstrip("#").lower()
                figures[f"hot_{label}_{kind}_wcu_per_s"] = max(of_kind) / units * rate
        if counter and units:
            pk, wcu = max(counter.items(), key=lambda kv: kv[1])
            figures[f"hot_{label}_any_key_share"] = wcu / units
            figures[f"hot_{label}_any_key"] = pk
    return figures


def plot(rows: dict[int, dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(rows)
    fig, ax = plt.subplots(figsize=(7, 4))
    for unit in UNITS:
        ax.plot(sizes, [rows[s][f"per_{unit}"] for s in sizes], marker="o", label=unit)
    ax.set_xscale("log")
    ax.set_xlabel("members in the brand")
    ax.set_ylabel("DynamoDB requests per unit")
    ax.set_title("Kairos per-unit DynamoDB work by brand size (memory backend)")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)
    plt.close(fig)


def run() -> dict[str, float]:
    rows = {size: measure(size) for size in SIZES}
    print(f"{'members':>9} " + " ".join(f"{u:>15}" for u in UNITS) + "  seed_s  run_s")
    for size, row in rows.items():
        print(
            f"{size:>9,} "
            + " ".join(f"{row[f'per_{u}']:>15.3f}" for u in UNITS)
            + f"  {row['seed_s']:>6} {row['run_s']:>6}"
            + f"  ({row['messages']:.0f} sent, {row['cron_enrolled']:.0f} cron enrolments)"
        )
    plot(rows)
    figures: dict[str, float] = {}
    ratios = []
    for unit in UNITS:
        values = [rows[s][f"per_{unit}"] for s in SIZES]
        ratios.append(max(values) / min(values) if min(values) > 0 else float("inf"))
        for size in SIZES:
            figures[f"ddb_requests_per_{unit}_{size}"] = round(rows[size][f"per_{unit}"], 3)
    figures["max_over_min_per_unit"] = round(max(ratios), 3)
    for size in SIZES:
        row = rows[size]
        figures[f"seed_s_{size}"] = row["seed_s"]
        figures[f"run_s_{size}"] = row["run_s"]
        figures[f"cron_enrolled_{size}"] = row["cron_enrolled"]
        figures[f"messages_{size}"] = row["messages"]
    largest = rows[max(SIZES)]
    for label in ("sends", "events"):
        name = f"hot_{label}_wcu_per_s"
        if name in largest:
            figures[name] = round(largest[name], 1)
            key = largest[f"hot_{label}_key"]
            rate = SEND_RATE if label == "sends" else EVENT_RATE
            print(f"hottest shared key at {rate:,} {label}/s: {key} {largest[name]:,.0f} WCU/s")
            for prefix in SHARED:
                kind = prefix.rstrip("#").lower()
                per_kind = largest.get(f"hot_{label}_{kind}_wcu_per_s")
                if per_kind is not None:
                    figures[f"hot_{label}_{kind}_wcu_per_s"] = round(per_kind, 1)
                    print(f"  hottest {prefix} key: {per_kind:,.0f} WCU/s")
            share = largest[f"hot_{label}_any_key_share"]
            figures[f"hot_{label}_any_key_wcu_per_unit"] = round(share, 3)
            any_key = largest[f"hot_{label}_any_key"]
            print(f"  hottest key of any kind: {any_key} {share:.3f} WCU per unit")
    figures["partition_wcu_limit"] = float(PARTITION_WCU)
    print(f"plot: {PLOT}")
    return figures


TARGETS: dict[str, tuple[str, float]] = {
    "max_over_min_per_unit": ("<=", 1.10),
    "hot_sends_wcu_per_s": ("<=", PARTITION_WCU),
    "hot_events_wcu_per_s": ("<=", PARTITION_WCU),
}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
