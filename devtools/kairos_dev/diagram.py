"""A journey as a Mermaid flowchart, for `kairos journeys diagram`: the picture a
marketer reviews before launch (steps, waits, branches with their conditions, splits
with their weights, goals, exits) and after it (each step's counters on it).

GitHub, GitLab and common editors render ```` ```mermaid ```` blocks and `.mmd` files.
Node ids are `s<position>` (step ids may be Mermaid keywords such as `end`); labels
are quoted and escaped, so a marketer's text cannot break the chart.
"""

from __future__ import annotations

import json

from kairos.engine.compiled import CompiledJourney, CompiledStep
from kairos.models.journey import (
    END,
    BranchStep,
    Condition,
    EnterStep,
    ExitStep,
    GotoStep,
    Offset,
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
_OPERATORS = {
    "eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in",
    "not_in": "not in", "contains": "contains", "starts_with": "starts with",
    "eq_field": "=", "ne_field": "≠",
}  # fmt: skip


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for the few specials)."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


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
    field = str(condition.get("field", "?"))
    parts = []
    for key, value in condition.items():
        if key == "field":
            continue
        if key == "exists":
            parts.append(f"{field} {'exists' if value else 'is missing'}")
        elif key == "within_days":
            parts.append(f"{field} within {value} days")
        elif key == "older_than_days":
            parts.append(f"{field} older than {value} days")
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            parts.append(f"{field} {_OPERATORS.get(key, key)} {shown}")
    return " and ".join(parts)


def _grouped(condition: Condition) -> str:
    text = condition_text(condition)
    return f"({text})" if " and " in text or " or " in text else text


def duration_text(offset: Offset) -> str:
    units = ("months", "weeks", "days", "hours", "minutes")
    parts = [f"{getattr(offset, u)} {u}" for u in units if getattr(offset, u)]
    return " ".join(parts) or "0"


def trigger_text(trigger: Trigger) -> str:
    if trigger.event is not None:
        text = f"on {trigger.event}"
    elif trigger.segment is not None:
        text = f"on entering segment {trigger.segment}"
    elif trigger.date is not None:
        text = f"on {trigger.date.field} ({trigger.date.match}) at {trigger.date.at}"
    else:
        assert trigger.schedule is not None
        text = f"every {trigger.schedule.cron} for segment {trigger.schedule.segment}"
    where = condition_text(trigger.where)
    return f"{text}<br/>where {escape(where)}" if where else text


def _step_label(step: CompiledStep) -> tuple[str, str]:
    """(shape opening and closing, label) of a step's node."""
    spec = step.spec
    title = escape(spec.name or step.id)
    if isinstance(spec, SendStep):
        fallback = f" → {', '.join(spec.send.fallback)}" if spec.send.fallback else ""
        body = f"send {spec.send.channel}{fallback}: {escape(spec.send.template)}"
        return "[]", f"{title}<br/>{body}"
    if isinstance(spec, WaitStep):
        wait = spec.wait
        if wait.kind == "duration":
            body = f"wait {duration_text(wait)}"
        elif wait.kind == "until":
            body = f"wait until {wait.until}"
        else:
            body = f"wait until {wait.until_field}"
            if wait.offset is not None and not wait.offset.is_zero():
                body += f" {duration_text(wait.offset)}"
            if wait.at:
                body += f" at {wait.at}"
        return "([])", f"{title}<br/>{escape(body)}"
    if isinstance(spec, WaitForStep):
        body = f"wait for {spec.wait_for.event}"
        where = condition_text(spec.wait_for.where)
        if where:
            body += f" where {where}"
        body += f", at most {duration_text(spec.wait_for.timeout)}"
        return "{{}}", f"{title}<br/>{escape(body)}"
    if isinstance(spec, BranchStep):
        return "{}", f"{title}<br/>branch"
    if isinstance(spec, SplitStep):
        return "{}", f"{title}<br/>split"
    if isinstance(spec, TagStep):
        return "[]", f"{title}<br/>tag {escape(', '.join(spec.tag))}"
    if isinstance(spec, UntagStep):
        return "[]", f"{title}<br/>untag {escape(', '.join(spec.untag))}"
    if isinstance(spec, SetStep):
        shown = json.dumps(spec.set, ensure_ascii=False)
        return "[]", f"{title}<br/>set {escape(shown)}"
    if isinstance(spec, EnterStep):
        return "[[]]", f"{title}<br/>enter journey {escape(spec.enter)}"
    if isinstance(spec, GotoStep):
        return "[]", f"{title}<br/>go to {escape(spec.goto)}"
    assert isinstance(spec, ExitStep)
    return "[[]]", f"{title}<br/>exit"


def _counts_text(counts: dict[str, float], names: tuple[str, ...]) -> str:
    shown = [f"{name} {int(counts[name])}" for name in names if counts.get(name)]
    return " · ".join(shown)


STEP_COUNTS = ("entered", "requested", "sent", "delivered", "failed", "held_out", "deferred")


def mermaid(journey: CompiledJourney, counters: Counters | None = None) -> str:
    """The flowchart text. With `counters` (from the store), every node carries its
    counts and every branch, split and wait-for edge how many took it."""
    counters = counters or {}
    node = {step_id: f"s{step.index}" for step_id, step in journey.steps.items()}
    node[END] = "done"
    lines = ["flowchart TD"]
    definition = journey.journey
    start = f"{escape(definition.name)}<br/>{trigger_text(definition.trigger)}"
    audience = condition_text(definition.audience)
    if audience:
        start += f"<br/>audience: {escape(audience)}"
    if definition.holdout:
        start += f"<br/>holdout {definition.holdout:g}%"
    overall = counters.get("-", {})
    totals = _counts_text(overall, ("entered", "held_out"))
    if totals:
        start += f"<br/><b>{totals}</b>"
    lines.append(f'    start(["{start}"])')
    lines.append(f"    start --> {node[journey.first]}")

    edges: list[str] = []
    for step in sorted(journey.steps.values(), key=lambda s: s.index):
        shape, label = _step_label(step)
        counts = _counts_text(counters.get(step.id, {}), STEP_COUNTS)
        if counts:
            label += f"<br/><b>{counts}</b>"
        opening, closing = shape[: len(shape) // 2], shape[len(shape) // 2 :]
        lines.append(f'    {node[step.id]}{opening}"{label}"{closing}')
        edges.extend(_edges(step, node, counters.get(step.id, {})))
    lines.extend(edges)

    finished = _counts_text(overall, ("completed",))
    lines.append(f'    done((("end{"<br/><b>" + finished + "</b>" if finished else ""}")))')
    if definition.exit_on:
        converted = _counts_text(overall, ("converted",))
        revenue = overall.get("revenue")
        if revenue:
            converted += f" · revenue {revenue:g}"
        label = "converted" + (f"<br/><b>{converted}</b>" if converted else "")
        lines.append('    subgraph goals["goals: at any step, the member leaves as converted"]')
        for index, goal in enumerate(definition.exit_on):
            where = condition_text(goal.where)
            text = f"goal: {goal.event}" + (f"<br/>where {escape(where)}" if where else "")
            lines.append(f'        goal{index}[/"{text}"/]')
        lines.append(f'        converted((("{label}")))')
        lines.append("    end")
        lines.extend(f"    goal{i} -.-> converted" for i in range(len(definition.exit_on)))
    return "\n".join(lines) + "\n"


def _edge(source: str, target: str, label: str = "") -> str:
    return f'    {source} -->|"{label}"| {target}' if label else f"    {source} --> {target}"


def _with_count(label: str, count: float | None) -> str:
    return f"{label} ({int(count)})" if count else label


def _edges(step: CompiledStep, node: dict[str, str], counts: dict[str, float]) -> list[str]:
    spec, here = step.spec, node[step.id]
    if isinstance(spec, BranchStep):
        out = [
            _edge(here, node[case.goto],
                  escape(_with_count(condition_text(case.when), counts.get(f"case-{i}"))))
            for i, case in enumerate(spec.branch.cases)
        ]  # fmt: skip
        otherwise = spec.branch.else_ if spec.branch.else_ is not None else step.successor
        out.append(_edge(here, node[otherwise], _with_count("else", counts.get("else"))))
        return out
    if isinstance(spec, SplitStep):
        return [
            _edge(here, node[arm.goto], _with_count(f"{arm.weight:g}%", counts.get(f"arm-{i}")))
            for i, arm in enumerate(spec.split)
        ]
    if isinstance(spec, WaitForStep):
        on_event = spec.on_event or step.successor
        on_timeout = spec.on_timeout or step.successor
        return [
            _edge(here, node[on_event],
                  escape(_with_count(spec.wait_for.event, counts.get("matched")))),
            _edge(here, node[on_timeout], _with_count("timeout", counts.get("timed_out"))),
        ]  # fmt: skip
    if isinstance(spec, GotoStep):
        return [_edge(here, node[spec.goto])]
    if isinstance(spec, ExitStep):
        return []
    return [_edge(here, node[step.successor])]
