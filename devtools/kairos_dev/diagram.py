"""A journey as a Mermaid flowchart, for `kairos journeys diagram`: the picture a
marketer reviews before launch (steps, waits, branches with their conditions, splits
with their weights, goals, exits) and after it (each step's counters on it).

GitHub, GitLab and common editors render ```` ```mermaid ```` blocks and `.mmd` files.
Node ids are `s<position>` (step ids may be Mermaid keywords such as `end`); labels
are quoted and escaped, so a marketer's text cannot break the chart.
"""

from __future__ import annotations

from kairos.engine.compiled import CompiledJourney, CompiledStep
from kairos.models.journey import END, Trigger
from kairos.reports.graph import (
    condition_text,
    duration_text,
    step_edges,
    step_summary,
    trigger_parts,
)

__all__ = ["condition_text", "duration_text", "escape", "mermaid", "trigger_text"]

Counters = dict[str, dict[str, float]]
_SHAPES = {
    "send": "[]", "wait": "([])", "wait_for": "{{}}", "branch": "{}", "split": "{}",
    "tag": "[]", "untag": "[]", "set": "[]", "enter": "[[]]", "goto": "[]", "exit": "[[]]",
}  # fmt: skip


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for the few specials)."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def trigger_text(trigger: Trigger) -> str:
    text, where = trigger_parts(trigger)
    return f"{text}<br/>where {escape(where)}" if where else text


def _step_label(step: CompiledStep) -> tuple[str, str]:
    """(shape opening and closing, label) of a step's node."""
    title = escape(step.spec.name or step.id)
    return _SHAPES[step.kind], f"{title}<br/>{escape(step_summary(step))}"


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
    return [
        _edge(node[step.id], node[out.target],
              escape(_with_count(out.label, counts.get(out.counter) if out.counter else None)))
        for out in step_edges(step)
    ]  # fmt: skip
