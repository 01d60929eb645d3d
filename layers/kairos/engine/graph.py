"""The step graph of a journey: where each step can lead, and the checks on it that a
marketer's YAML can fail — references to missing steps, unreachable steps, split
weights, and loops that would spin without waiting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kairos.models.journey import (
    END,
    BranchStep,
    ExitStep,
    GotoStep,
    SplitStep,
    Step,
    WaitForStep,
    WaitStep,
)


@dataclass(frozen=True)
class Edge:
    label: str
    """The key naming the target: `next`, `goto`, `else`, `cases[0].goto`, `on_event`…"""
    target: str
    """A step id or `end`."""
    explicit: bool
    """Written in the YAML (checked as a reference) rather than the default successor."""


@dataclass(frozen=True)
class GraphProblem:
    step: str
    reason: str
    loc: tuple[str | int, ...]
    """Where in the step's YAML (for the line number)."""
    index: int | None = None
    """The step's position, when its id alone is ambiguous (a duplicate)."""


def default_successor(steps: Sequence[Step], index: int) -> str:
    return steps[index + 1].id or END if index + 1 < len(steps) else END


def edges(steps: Sequence[Step], index: int) -> list[Edge]:
    """Every way out of `steps[index]`."""
    step = steps[index]
    fallthrough = default_successor(steps, index)
    if isinstance(step, ExitStep):
        return []
    if isinstance(step, GotoStep):
        return [Edge("goto", step.goto, True)]
    if isinstance(step, BranchStep):
        out = [
            Edge(f"branch.cases[{i}].goto", c.goto, True) for i, c in enumerate(step.branch.cases)
        ]
        if step.branch.else_ is not None:
            return [*out, Edge("branch.else", step.branch.else_, True)]
        return [*out, Edge("else", fallthrough, False)]
    if isinstance(step, SplitStep):
        return [Edge(f"split[{i}].goto", arm.goto, True) for i, arm in enumerate(step.split)]
    nxt = (
        Edge("next", step.next, True) if step.next is not None else Edge("next", fallthrough, False)
    )
    if isinstance(step, WaitForStep):
        on_event = (
            Edge("on_event", step.on_event, True)
            if step.on_event
            else Edge("on_event", nxt.target, False)
        )
        on_timeout = (
            Edge("on_timeout", step.on_timeout, True)
            if step.on_timeout
            else Edge("on_timeout", nxt.target, False)
        )
        return [on_event, on_timeout]
    return [nxt]


def _loc(label: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in label.replace("]", "").split("."):
        name, _, index = piece.partition("[")
        parts.append(name)
        if index:
            parts.append(int(index))
    return tuple(parts)


def check_graph(steps: Sequence[Step]) -> list[GraphProblem]:
    ids = [s.id or "" for s in steps]
    known = set(ids)
    problems: list[GraphProblem] = []
    seen: set[str] = set()
    for index, sid in enumerate(ids):
        if sid in seen:
            problems.append(GraphProblem(sid, f"duplicate step id {sid!r}", ("id",), index))
        seen.add(sid)
    if END in known:
        problems.append(
            GraphProblem(END, "`end` is reserved (next: end finishes the journey)", ("id",))
        )

    graph: dict[str, list[str]] = {}
    for index, step in enumerate(steps):
        targets: list[str] = []
        for edge in edges(steps, index):
            if edge.target != END and edge.target not in known:
                problems.append(
                    GraphProblem(
                        ids[index],
                        f"{edge.label}: no step {edge.target!r} in this journey",
                        _loc(edge.label),
                    )
                )
                continue
            if edge.target != END:
                targets.append(edge.target)
        graph.setdefault(ids[index], targets)
        if isinstance(step, SplitStep):
            total = sum(arm.weight for arm in step.split)
            if abs(total - 100) > 1e-6:
                problems.append(
                    GraphProblem(
                        ids[index], f"split weights add up to {total:g}, not 100", ("split",)
                    )
                )

    reached: set[str] = set()
    frontier = [ids[0]] if ids else []
    while frontier:
        node = frontier.pop()
        if node in reached:
            continue
        reached.add(node)
        frontier.extend(graph.get(node, []))
    for sid in ids:
        if sid not in reached:
            problems.append(GraphProblem(sid, "unreachable: no step leads here", ("id",)))

    waits = {s.id for s in steps if isinstance(s, WaitStep | WaitForStep)}
    for cycle in _cycles_without(graph, waits):
        path = " → ".join([*cycle, cycle[0]])
        problems.append(
            GraphProblem(
                cycle[0], f"loop without a wait ({path}): add a wait or wait_for to it", ()
            )
        )
    return problems


def _cycles_without(graph: dict[str, list[str]], barrier: set[str | None]) -> list[list[str]]:
    """One representative cycle per strongly connected group of steps that loops
    without passing a barrier (a wait); found with Tarjan's algorithm."""
    nodes = [n for n in graph if n not in barrier]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(root: str) -> None:
        nonlocal counter
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            succ = [t for t in graph.get(node, []) if t not in barrier]
            if i < len(succ):
                work[-1] = (node, i + 1)
                nxt = succ[i]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                self_loop = node in graph.get(node, [])
                if len(group) > 1 or self_loop:
                    groups.append(group)

    for node in nodes:
        if node not in index:
            visit(node)
    order = {n: i for i, n in enumerate(graph)}
    cycles: list[list[str]] = []
    for group in groups:
        members = set(group)
        start = min(group, key=order.__getitem__)
        cycles.append(_walk_cycle(graph, members, start))
    return sorted(cycles, key=lambda c: order[c[0]])


def _walk_cycle(graph: dict[str, list[str]], members: set[str], start: str) -> list[str]:
    """A simple cycle through `start` inside a strongly connected group (BFS back to it)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for node in frontier:
            for target in graph.get(node, []):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return list(reversed(path))
                if target not in parents:
                    parents[target] = node
                    nxt.append(target)
        frontier = nxt
    return [start]
