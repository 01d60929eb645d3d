"""`make bench`: run every stage's benchmark, print a table, write bench/results.json.

Each stage is a module `bench/<stage>.py` (or the one `MODULES` names, for a stage
whose name is no module name) exposing `run() -> dict[str, float]`, and optionally
`TARGETS`: figure → (operator, bound), printed as met or MISSED. A stage named in
`INTO` adds its figures to another stage's instead of having its own.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

STAGES = (
    "ingest",
    "collect",
    "import",
    "import_emulator",
    "sender",
    "sender_emulator",
    "evaluator",
    "simulate",
    "cost",
    "line",
    "scale",
    "console",
    "console_browser",
)
MODULES = {"import": "import_members"}  # `import` is a keyword: no module bench/import.py
INTO = {"console_browser": "console"}
"""The browser's console figures (first load, JavaScript) beside the API's lookups."""
RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    # The figures are the output: the functions' own logs and metrics would bury them.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from kairos.observability import logger

    logger.setLevel("WARNING")
    wanted = argv or list(STAGES)
    results: dict[str, dict[str, float]] = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    for stage in wanted:
        try:
            module = _module(stage)
        except ModuleNotFoundError:
            print(f"{stage}: no benchmark yet", file=sys.stderr)
            continue
        if stage in INTO:
            figures = module.run()
            if figures:
                results.setdefault(INTO[stage], {}).update(figures)
        else:
            results[stage] = {
                **{k: v for k, v in results.get(stage, {}).items() if _added_by_other(stage, k)},
                **module.run(),
            }
        # Written after every stage: a later stage failing keeps the earlier figures.
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    width = max((len(k) for figures in results.values() for k in figures), default=10)
    print(f"{'stage':<10} {'figure':<{width}} value")
    for stage, figures in results.items():
        for name, value in figures.items():
            print(f"{stage:<10} {name:<{width}} {value:,.3f}")
    print()
    for stage in [*results, *INTO]:
        try:
            module = _module(stage)
        except ModuleNotFoundError:
            continue
        figures = results.get(INTO.get(stage, stage), {})
        for name, (op, bound) in getattr(module, "TARGETS", {}).items():
            found = figures.get(name)
            met = found is not None and _meets(found, op, bound)
            print(f"target {stage}.{name} {op} {bound:g}: {found} {'met' if met else 'MISSED'}")
    print(f"\nwritten to {RESULTS}")
    return 0


def _added_by_other(stage: str, figure: str) -> bool:
    """Whether a figure of `stage` comes from a stage that adds to it (kept when
    `stage` itself runs again)."""
    for other, into in INTO.items():
        if into == stage:
            try:
                if figure in getattr(_module(other), "FIGURES", ()):
                    return True
            except ModuleNotFoundError:
                continue
    return False


def _module(stage: str) -> Any:
    return importlib.import_module(f"bench.{MODULES.get(stage, stage)}")


def _meets(value: float, op: str, bound: float) -> bool:
    return {">=": value >= bound, "<=": value <= bound, "==": value == bound, "<": value < bound}[
        op
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
