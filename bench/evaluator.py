"""Evaluator benchmark: the real evaluator handler against the embedded emulator.

- `events_per_s`: stream records (applied events) evaluated per second with 50 journeys
  loaded — each record looks up the member's enrolments, checks every journey its event
  type can trigger, segments and date fields, and starts the journeys that match.
- `steps_per_s` / `ddb_requests_per_step`: due timers advanced per second by one
  scheduled tick, and the DynamoDB requests each cost (counted at the botocore layer,
  the due-index queries included).
- `simulate_member_year_ms`: `kairos simulate` wall time (memory backend) for a year of
  the example brand scaled to `KAIROS_BENCH_SIM_MEMBERS` members (default 1,000), per
  member; `tick_ms_idle_*`: an idle tick at 1k/10k/100k waiting members (bench/ticks.py).
  The stream/tick throughput figures above run on the embedded emulator.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bench import simulate, ticks
from kairos.aws import Boto3Clients
from kairos.config import RuntimeConfig
from kairos.ingest.signatures import sign_kairos
from kairos.wiring import evaluator as wiring
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.emulator import start_emulator
from kairos_dev.local.functions import FunctionHost, LambdaContext, load_function
from kairos_dev.local.pumps import StreamPump, schedule_event
from kairos_dev.local.stack import create_local_stack

MEMBERS = int(os.environ.get("KAIROS_BENCH_EVALUATOR_MEMBERS", "200"))
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


TARGETS: dict[str, tuple[str, float]] = {
    "simulate_member_year_ms": ("<=", 60.0),  # aiming at 20
    **{name: bound for name, bound in ticks.TARGETS.items()},
}


def _project(root: Path) -> None:
    """50 journeys over 10 event types; each waits a day, then sends."""
    (root / "journeys").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "kairos.yaml").write_text("timezone: Asia/Taipei\n", encoding="utf-8")
    (root / "templates" / "note.yaml").write_text(
        "id: note\nline: {text: '{{ profile.name or \"朋友\" }}，謝謝你！'}\n", encoding="utf-8"
    )
    for j in range(50):
        (root / "journeys" / f"j{j:02d}.yaml").write_text(
            f"id: j{j:02d}\nname: Journey {j}\n"
            f"trigger: {{event: bench.e{j % 10}, where: {{field: event.data.n, gte: {j // 10}}}}}\n"
            "audience: {field: profile.line_following, eq: true}\n"
            "transactional: true\n"
            "steps:\n  - id: wait-1\n    wait: {days: 1}\n"
            "  - id: note\n    send: {channel: line, template: note}\n",
            encoding="utf-8",
        )


def run() -> dict[str, float]:
    emulator = start_emulator()
    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "brand"
            _project(project)
            stack = create_local_stack(emulator, prefix="benchev", project_dir=str(project))
            stack.activate()
            host = FunctionHost(Boto3Clients(), stack.environ())
            evaluator = load_function("evaluator", fresh=True)
            context = LambdaContext(function_name="kairos-evaluator")
            # Members follow, then each sends one event that triggers five journeys.
            for i in range(MEMBERS):
                for kind, data in (("line.follow", {}), (f"bench.e{i % 10}", {"n": 5})):
                    event = {"id": f"b-{kind}-{i}", "type": kind,
                             "time": (T0 + timedelta(seconds=i)).isoformat(),
                             "member": {"line_user_id": f"U-bench-{i}"}, "data": data}  # fmt: skip
                    body = json.dumps(event).encode()
                    headers = {
                        "X-Kairos-Signature": sign_kairos(body, stack.secrets.webhook_secret)
                    }
                    request = proxy_event(
                        "POST", "/events", headers, body, int(T0.timestamp() * 1000)
                    )
                    answer = host.invoke("webhook", request)
                    if answer["statusCode"] != 200:
                        raise RuntimeError(answer["body"])
            records: list[dict[str, Any]] = []

            def collect(batch: dict[str, Any]) -> dict[str, Any]:
                records.extend(batch["Records"])
                return {}

            pump = StreamPump(
                stack.client("dynamodb"),
                stack.client("dynamodbstreams"),
                stack.tables["main"],
                collect,
            )
            while pump.pump_once():
                pass
            # Cold start (project load, publication) outside the timing.
            services = wiring.build(RuntimeConfig.from_env(), Boto3Clients())
            service = services.evaluator
            calls = {"n": 0}

            def count(**_: Any) -> None:
                calls["n"] += 1

            dynamodb: Any = cast(Any, service.store).client  # the store behind the port
            dynamodb.meta.events.register("before-send.dynamodb", count)
            began = time.perf_counter()
            for start in range(0, len(records), 100):
                batch = {"Records": records[start : start + 100]}
                result = evaluator.handle(batch, context, services)
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"evaluator failed records: {result}")
            events_elapsed = time.perf_counter() - began
            event_calls = calls["n"]

            calls["n"] = 0
            # Stream records carry the emulator's (wall-clock) commit time: that was "now".
            committed = max(float(r["dynamodb"]["ApproximateCreationDateTime"]) for r in records)
            tick = datetime.fromtimestamp(committed, tz=UTC) + timedelta(days=1, minutes=10)
            began = time.perf_counter()
            report = evaluator.handle(schedule_event(tick), context, services)
            steps_elapsed = time.perf_counter() - began
            steps = report["timers"]
            if steps == 0:
                raise RuntimeError("no due steps: the benchmark set-up did not enrol anyone")
            figures = {
                "events_per_s": round(len(records) / events_elapsed, 1),
                "ddb_requests_per_event": round(event_calls / len(records), 2),
                "steps_per_s": round(steps / steps_elapsed, 1),
                "ddb_requests_per_step": round(calls["n"] / steps, 2),
                "journeys_loaded": float(len(service.project.journeys)),
            }
    finally:
        os.environ.clear()
        os.environ.update(saved)
        emulator.stop()
    # Measured by the simulation and idle-tick stages on the memory backend (the
    # emulator's own figures above are named as such in docs/performance.md).
    figures.update(ticks.run())
    seconds, members, _ = simulate.year(simulate.copies_for(simulate.MEMBERS), "memory")
    figures["simulate_member_year_ms"] = round(seconds * 1000 / members, 2)
    figures["simulate_members"] = float(members)
    return figures
