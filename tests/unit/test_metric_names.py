"""The catalogue of custom metrics (kairos.metric_names) is what the code emits: every
name the functions publish is listed, every listed name is published somewhere, and only
the health metrics are published unless the stack asks for detailed ones. The cost model
prices this list, so a new metric shows in the bill. Journey step counters are published
per journey step, detailed only (tests/unit/test_step_counters.py)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from kairos import metric_names
from kairos.delivery.model import Status
from kairos.engine.enrolment import State
from kairos.evaluator import stream

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("functions/*/*.py"), *(ROOT / "layers" / "kairos").rglob("*.py")]
SENDER_SUMMARY = ("replayed", "limiter_draws", "replied", "reply_fell_back")
"""What the sender's batch summary adds to its statuses (kairos.delivery.service)."""


def emitted() -> set[str]:
    """Names passed to `count(...)`: literals, and the sender's `Delivery_<status>`."""
    names: set[str] = set()
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr != "add_metric" or path.name == "observability.py", (
                    f"{path}: publish metrics through kairos.observability.count"
                )
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "count"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
            elif isinstance(first, ast.JoinedStr):
                prefix = first.values[0]
                assert isinstance(prefix, ast.Constant) and prefix.value == "Delivery_", path
                names.update(f"Delivery_{s}" for s in (*get_args(Status), *SENDER_SUMMARY))
            else:
                raise AssertionError(f"{path}:{node.lineno}: name a metric with a literal")
    return names


def test_the_catalogue_is_exactly_what_the_code_emits() -> None:
    assert emitted() == set(metric_names.HEALTH) | set(metric_names.DETAILED)


def test_a_default_stack_is_billed_for_the_health_metrics_only() -> None:
    assert metric_names.billed() == sorted(metric_names.HEALTH)
    assert len(metric_names.billed(detailed=True)) == len(emitted())
    assert not set(metric_names.HEALTH) & set(metric_names.DETAILED)


def counted() -> set[str]:
    """Step counter names the code adds to: the engine's `run.count("…")` literals and
    the states an enrolment ends in, the sender's statuses, the engagement it reports."""
    names = {*get_args(Status), *get_args(State), *stream.COUNTED}
    for path in (ROOT / "layers" / "kairos" / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "count"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(str(node.args[0].value))
    return names


def test_step_counter_metrics_are_counters_the_code_adds_to() -> None:
    # Detailed mode publishes these per journey step: each must be a counter that moves
    assert set(metric_names.STEP_COUNTERS) <= counted()
    assert {"entered", "sent", "converted"} <= set(metric_names.STEP_COUNTERS)
    # and they are billed per journey step, never in the per-function list
    assert not set(metric_names.STEP_COUNTERS) & set(metric_names.billed(detailed=True))


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not in kairos\.metric_names"):
        metric_names.published("Delivery_sent_line")


SCRIPT = """
from kairos.observability import count
count("Delivery_failed", 2)
count("Delivery_sent", 5)
count("EventsReceived", 1)
"""


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("", {"Delivery_failed"}),
        ("health", {"Delivery_failed"}),
        ("detailed", {"Delivery_failed", "Delivery_sent", "EventsReceived"}),
    ],
)
def test_detailed_metrics_are_published_only_when_asked_for(mode: str, expected: set[str]) -> None:
    # Given a function in this metrics mode that counts a health and two detailed metrics
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "KAIROS_METRICS": mode}
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    script = SCRIPT + "from kairos.observability import metrics\nmetrics.flush_metrics()\n"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    # Then the EMF document carries only the metrics this mode publishes
    (document,) = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert {m["Name"] for m in directive["Metrics"]} == expected
