"""Simulation benchmark: a year of the example brand, scaled to many members, through the
real handlers on the memory backend (the default of `kairos simulate`).

- `member_year_ms`: wall time per member-year at `KAIROS_BENCH_SIM_MEMBERS` members
  (default 1,000: copies of the example brand's members, each with its own identifiers).
- `members_10k_year_s`: the same for 10,000 members, whole seconds (skipped when
  `KAIROS_BENCH_SIM_10K=0`).
- `emulator_member_year_ms`: the example brand's own members on the embedded emulator
  (every AWS call over HTTP to moto): the emulator's figure, for comparison only
  (skipped when `KAIROS_BENCH_SIM_EMULATOR=0`; it takes minutes).
- `deliveries_per_member_year`: what each member-year sends, so the figures compare.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kairos_dev.local.simulator import Simulation, load_events, load_inputs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)
MEMBERS = int(os.environ.get("KAIROS_BENCH_SIM_MEMBERS", "1000"))
TEN_K = os.environ.get("KAIROS_BENCH_SIM_10K", "1") != "0"
EMULATOR = os.environ.get("KAIROS_BENCH_SIM_EMULATOR", "1") != "0"


def variant(kind: str, value: str | None, copy: int) -> str | None:
    """The copy's own identifier, so each copy is a different member (an identifier an
    event leaves empty stays empty)."""
    if copy == 0 or value is None:
        return value
    if kind == "email":
        user, domain = value.split("@", 1)
        return f"{user}+c{copy}@{domain}"
    if kind == "phone":
        return value[:-4] + f"{(int(value[-4:]) + copy * 37) % 10000:04d}"
    return f"{value}-c{copy}"


def scaled_brand(root: Path, copies: int) -> tuple[Path, Path]:
    """events.jsonl and members.csv for `copies` copies of the example brand, in `root`."""
    events = [e.model_dump(mode="json") for e in load_events(EXAMPLES / "events.jsonl")]
    out: list[dict[str, Any]] = []
    for copy in range(copies):
        for event in events:
            clone = json.loads(json.dumps(event))
            clone["id"] = f"{clone['id']}-c{copy}"
            clone["member"] = {
                k: variant(k, v, copy) for k, v in clone["member"].items() if v is not None
            }
            ref = clone["data"].get("referred_by")
            if isinstance(ref, dict):
                clone["data"]["referred_by"] = {
                    k: variant(k, v, copy) for k, v in ref.items() if v is not None
                }
            out.append(clone)
    events_path = root / "events.jsonl"
    events_path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in out))
    lines = (EXAMPLES / "members.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    columns = header.split(",")
    scaled = [header]
    for copy in range(copies):
        for row in rows:
            cells = row.split(",")
            scaled.append(
                ",".join(
                    (variant(c, v, copy) or "")
                    if c in ("line_user_id", "email", "phone", "external_id") and v
                    else v
                    for c, v in zip(columns, cells, strict=False)
                )
            )
    members_path = root / "members.csv"
    members_path.write_text("\n".join(scaled) + "\n", encoding="utf-8")
    return events_path, members_path


def year(copies: int, backend: str) -> tuple[float, int, int]:
    """(seconds, members, deliveries) for a simulated year of `copies` copies: the
    members counted in the store afterwards (a benchmark may scan)."""
    with tempfile.TemporaryDirectory() as tmp:
        events_path, members_path = scaled_brand(Path(tmp), copies)
        events, start = load_inputs(events_path, UNTIL, members_path)
        began = time.perf_counter()
        simulation = Simulation.start(str(EXAMPLES), start, backend)
        try:
            deliveries = simulation.run(events, UNTIL)
            seconds = time.perf_counter() - began
            members = count_members(simulation)
        finally:
            simulation.stop()
        return seconds, members, len(deliveries)


def count_members(simulation: Simulation) -> int:
    client = simulation.stack.client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": simulation.stack.tables["main"],
        "FilterExpression": "sk = :p",
        "ExpressionAttributeValues": {":p": {"S": "PROFILE"}},
        "Select": "COUNT",
    }
    total = 0
    while True:
        page = client.scan(**kwargs)
        total += int(page.get("Count", 0))
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


PER_COPY = 47
"""The example brand's own members (examples/members.csv and the events' newcomers)."""


def copies_for(members: int) -> int:
    return max(1, math.ceil(members / PER_COPY))


def run() -> dict[str, float]:
    copies = copies_for(MEMBERS)
    seconds, members, deliveries = year(copies, "memory")
    figures = {
        "members": float(members),
        "member_year_ms": round(seconds * 1000 / members, 2),
        "deliveries_per_member_year": round(deliveries / members, 2),
    }
    print(f"simulate: {members} members, a year in {seconds:.1f} s ({deliveries} deliveries)")
    if EMULATOR:
        emulator_seconds, emulator_members, _ = year(1, "emulator")
        figures["emulator_member_year_ms"] = round(emulator_seconds * 1000 / emulator_members, 1)
    if TEN_K:
        seconds_10k, members_10k, _ = year(copies_for(10_000), "memory")
        figures["members_10k"] = float(members_10k)
        figures["members_10k_year_s"] = round(seconds_10k, 1)
    return figures
