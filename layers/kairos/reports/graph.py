"""A journey as a graph people read: its trigger, every step (what it does, in words),
the edges between them (with a branch's condition, a split's weight, a wait-for's event
or timeout), the end and the goals, each step carrying its counts.

The console's journey page draws it (kairos.console.journeys) and `kairos journeys
diagram` renders the same steps and edges as a Mermaid flowchart (kairos_dev.diagram).
Texts here are plain: whoever renders them escapes them for their medium.

Node ids are the step ids, and `_start`, `_end`, `_converted` for the journey's own
nodes (a step id cannot start with `_`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from kairos.engine.compiled import CompiledJourney, CompiledStep
from kairos.models.journey import (
    END,
    BranchStep,
    Condition,
    EnterStep,
    ExitStep,
    GotoStep,
    Offset,
    RichMenuStep,
    SendStep,
    SetStep,
    SplitStep,
    TagStep,
    Trigger,
    UntagStep,
    WaitForStep,
    WaitStep,
)

Counters = dict[str, dict[str, float]]
START_NODE, END_NODE, CONVERTED_NODE = "_start", "_end", "_converted"
NODE_COUNTS = ("entered", "sent", "delivered", "opened", "clicked", "converted", "waiting")
"""What every node of the console's graph counts (`waiting`: members at the step now)."""

_OPERATORS = {
    "eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in",
    "not_in": "not in", "contains": "contains", "starts_with": "starts with",
    "eq_field": "=", "ne_field": "≠",
}  # fmt: skip


def condition_text(condition: Condition | None) -> str:
    """A condition as a marketer reads it: `profile.city = 台北 and not (vip)`."""
    if not condition:
        return ""
    if "all" in condition:
        return " and ".join(_grouped(c) for c in condition["all"])
    if "any" in condition:
        return " or ".join(_grouped(c) for c in condition["any"])
    if "not" in condition:
        return f"not ({condition_text(condition['not'])})"
    if "segment" in condition and len(condition) == 1:
        return f"in segment {condition['segment']}"
    field_name = str(condition.get("field", "?"))
    parts = []
    for key, value in condition.items():
        if key == "field":
            continue
        if key == "exists":
            parts.append(f"{field_name} {'exists' if value else 'is missing'}")
        elif key == "within_days":
            parts.append(f"{field_name} within {value} days")
        elif key == "older_than_days":
            parts.append(f"{field_name} older than {value} days")
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            parts.append(f"{field_name} {_OPERATORS.get(key, key)} {shown}")
    return " and ".join(parts)


def _grouped(condition: Condition) -> str:
    text = condition_text(condition)
    return f"({text})" if " and " in text or " or " in text else text


def duration_text(offset: Offset) -> str:
    units = ("months", "weeks", "days", "hours", "minutes")
    parts = [f"{getattr(offset, u)} {u}" for u in units if getattr(offset, u)]
    return " ".join(parts) or "0"


def trigger_parts(trigger: Trigger) -> tuple[str, str]:
    """(what starts the journey, its `where` condition or "")."""
    if trigger.event is not None:
        text = f"on {trigger.event}"
    elif trigger.segment is not None:
        text = f"on entering segment {trigger.segment}"
    elif trigger.date is not None:
        text = f"on {trigger.date.field} ({trigger.date.match}) at {trigger.date.at}"
    else:
        assert trigger.schedule is not None
        text = f"every {trigger.schedule.cron} for segment {trigger.schedule.segment}"
    return text, condition_text(trigger.where)


def trigger_text(trigger: Trigger) -> str:
    text, where = trigger_parts(trigger)
    return f"{text} where {where}" if where else text


def step_summary(step: CompiledStep) -> str:
    """What a step does, in a few words (`send line → sms: welcome`, `wait 3 days`)."""
    spec = step.spec
    if isinstance(spec, SendStep):
        fallback = f" → {', '.join(spec.send.fallback)}" if spec.send.fallback else ""
        return f"send {spec.send.channel}{fallback}: {spec.send.template}"
    if isinstance(spec, WaitStep):
        wait = spec.wait
        if wait.kind == "duration":
            return f"wait {duration_text(wait)}"
        if wait.kind == "until":
            return f"wait until {wait.until}"
        body = f"wait until {wait.until_field}"
        if wait.offset is not None and not wait.offset.is_zero():
            body += f" {duration_text(wait.offset)}"
        return body + (f" at {wait.at}" if wait.at else "")
    if isinstance(spec, WaitForStep):
        body = f"wait for {spec.wait_for.event}"
        where = condition_text(spec.wait_for.where)
        if where:
            body += f" where {where}"
        return body + f", at most {duration_text(spec.wait_for.timeout)}"
    if isinstance(spec, BranchStep):
        return "branch"
    if isinstance(spec, SplitStep):
        return "split"
    if isinstance(spec, TagStep):
        return f"tag {', '.join(spec.tag)}"
    if isinstance(spec, UntagStep):
        return f"untag {', '.join(spec.untag)}"
    if isinstance(spec, SetStep):
        return f"set {json.dumps(spec.set, ensure_ascii=False)}"
    if isinstance(spec, EnterStep):
        return f"enter journey {spec.enter}"
    if isinstance(spec, GotoStep):
        return f"go to {spec.goto}"
    if isinstance(spec, RichMenuStep):
        return f"rich menu {spec.richmenu}"
    assert isinstance(spec, ExitStep)
    return "exit"


@dataclass(frozen=True)
class StepEdge:
    """Where a step can go: `label` says when ("" for the plain next step) and
    `counter` names the step counter of members who took it (None: not counted)."""

    target: str
    """A step id or `end`."""
    label: str = ""
    counter: str | None = None


def step_edges(step: CompiledStep) -> list[StepEdge]:
    spec = step.spec
    if isinstance(spec, BranchStep):
        out = [
            StepEdge(case.goto, condition_text(case.when), f"case-{i}")
            for i, case in enumerate(spec.branch.cases)
        ]
        otherwise = spec.branch.else_ if spec.branch.else_ is not None else step.successor
        return [*out, StepEdge(otherwise, "else", "else")]
    if isinstance(spec, SplitStep):
        return [StepEdge(a.goto, f"{a.weight:g}%", f"arm-{i}") for i, a in enumerate(spec.split)]
    if isinstance(spec, WaitForStep):
        return [
            StepEdge(spec.on_event or step.successor, spec.wait_for.event, "matched"),
            StepEdge(spec.on_timeout or step.successor, "timeout", "timed_out"),
        ]
    if isinstance(spec, GotoStep):
        return [StepEdge(spec.goto)]
    if isinstance(spec, ExitStep):
        return []
    return [StepEdge(step.successor)]


# ---- the console's graph ----------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    """A step's kind (`send`, `wait`, `branch`, …) or `trigger`, `end`, `converted`."""
    label: str
    detail: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    count: int | None = None


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]


def _node_counts(counts: Mapping[str, float], waiting: int) -> dict[str, int]:
    found = {name: int(counts.get(name, 0)) for name in NODE_COUNTS}
    # Conversions are counted by the journey, and per arm at each split step.
    found["converted"] = int(
        counts.get("converted", 0)
        + sum(v for k, v in counts.items() if k.startswith("converted-arm-"))
    )
    found["waiting"] = waiting
    return found


def journey_graph(
    journey: CompiledJourney, counters: Counters, waiting: dict[str, int] | None = None
) -> Graph:
    """Nodes and edges, each step with its counts; `waiting` is step → members there now."""
    waiting = waiting or {}
    definition = journey.journey
    overall = counters.get("-", {})
    node_of = {step_id: step_id for step_id in journey.steps} | {END: END_NODE}
    trigger, where = trigger_parts(definition.trigger)
    detail = trigger + (f" where {where}" if where else "")
    audience = condition_text(definition.audience)
    if audience:
        detail += f"; audience: {audience}"
    if definition.holdout:
        detail += f"; holdout {definition.holdout:g}%"
    nodes = [Node(START_NODE, "trigger", definition.name, detail, _node_counts(overall, 0))]
    edges = [Edge(START_NODE, node_of[journey.first], "")]
    for step in sorted(journey.steps.values(), key=lambda s: s.index):
        counts = counters.get(step.id, {})
        nodes.append(
            Node(
                step.id,
                step.kind,
                step.spec.name or step.id,
                step_summary(step),
                _node_counts(counts, waiting.get(step.id, 0)),
            )
        )
        for out in step_edges(step):
            taken = int(counts.get(out.counter, 0)) if out.counter else None
            edges.append(Edge(step.id, node_of[out.target], out.label, taken))
    finished = {"entered": int(overall.get("completed", 0))}
    nodes.append(Node(END_NODE, "end", "end", "completed the journey", _node_counts(finished, 0)))
    if definition.exit_on:
        goals = "; ".join(
            f"{goal.event}" + (f" where {condition_text(goal.where)}" if goal.where else "")
            for goal in definition.exit_on
        )
        converted = {
            "entered": overall.get("converted", 0),
            "converted": overall.get("converted", 0),
        }
        nodes.append(
            Node(
                CONVERTED_NODE,
                "converted",
                "converted",
                f"goal: {goals}",
                _node_counts(converted, 0),
            )
        )
    return Graph(nodes, edges)
