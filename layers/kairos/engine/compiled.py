"""A journey or segment ready to run: its conditions compiled and its steps indexed.

`compile_journey` reports every problem it finds in one journey on its own (conditions,
step graph, paths of waits); cross-file checks (templates, segments, `enter` targets)
are `kairos.project`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kairos.engine.condition_compiler import compile_condition
from kairos.engine.conditions import ALWAYS, Condition, ConditionError
from kairos.engine.graph import check_graph, default_successor
from kairos.engine.paths import MEMBER_ROOTS, MEMBER_SCOPE, ROOTS, Scope, check_path
from kairos.models.journey import (
    END,
    BranchStep,
    Journey,
    SendStep,
    Step,
    WaitForStep,
    WaitStep,
)
from kairos.models.segment import Segment

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class JourneyProblem:
    step: str | None
    """The step the problem is in, or None for the journey's own fields."""
    where: str
    """The field inside the step or journey, e.g. `branch.cases[0].when.all[1]`."""
    reason: str
    loc: Loc
    """Path into the YAML document (for the line number)."""


@dataclass(frozen=True)
class CompiledStep:
    id: str
    index: int
    spec: Step
    successor: str
    """Where the step goes by default: `next`, else the following step, else `end`."""
    cases: tuple[Condition, ...] = ()
    """Compiled `branch.cases[].when`."""
    wait_for: Condition = ALWAYS
    """Compiled `wait_for.where`."""

    @property
    def kind(self) -> str:
        for kind in (
            "wait_for",
            "wait",
            "send",
            "branch",
            "split",
            "tag",
            "untag",
            "set",
            "enter",
            "goto",
            "exit",
        ):
            if kind in type(self.spec).model_fields:
                return kind
        raise AssertionError(type(self.spec))


@dataclass(frozen=True)
class CompiledGoal:
    event: str
    where: Condition


@dataclass(frozen=True)
class CompiledJourney:
    journey: Journey
    version: str
    steps: dict[str, CompiledStep]
    first: str
    trigger_where: Condition = ALWAYS
    audience: Condition = ALWAYS
    goals: tuple[CompiledGoal, ...] = ()

    @property
    def id(self) -> str:
        return self.journey.id

    def step(self, step_id: str) -> CompiledStep:
        return self.steps[step_id]

    def send_steps(self) -> list[CompiledStep]:
        return [s for s in self.steps.values() if isinstance(s.spec, SendStep)]


@dataclass(frozen=True)
class CompiledSegment:
    segment: Segment
    version: str
    where: Condition = field(default=ALWAYS)

    @property
    def id(self) -> str:
        return self.segment.id


def _scopes(journey: Journey, segments: frozenset[str] | None) -> tuple[Scope, Scope]:
    """(entry scope, in-journey scope): `steps.*` only exists once enrolled."""
    ids = frozenset(s.id or "" for s in journey.steps)
    sends = frozenset(s.id or "" for s in journey.steps if isinstance(s, SendStep))
    inside = Scope(
        roots=frozenset(ROOTS), send_steps=sends, step_ids=ids, where="here", segments=segments
    )
    entry = Scope(
        roots=frozenset(r for r in ROOTS if r != "steps"),
        where="before the member is enrolled",
        segments=segments,
    )
    return entry, inside


def _compile(
    raw: Any, scope: Scope, where: str, loc: Loc, step: str | None, problems: list[JourneyProblem]
) -> Condition:
    if raw is None:
        return ALWAYS
    try:
        return compile_condition(raw, scope, where)
    except ConditionError as exc:
        problems.extend(JourneyProblem(step, p.where, p.reason, loc) for p in exc.problems)
        return ALWAYS


def compile_journey(
    journey: Journey, version: str, segments: frozenset[str] | None = None
) -> tuple[CompiledJourney, list[JourneyProblem]]:
    """`segments`: the project's segment ids, so `{segment: ID}` naming another is a
    problem (None when compiling a published version: its segments are not checked)."""
    problems: list[JourneyProblem] = []
    entry_scope, scope = _scopes(journey, segments)
    trigger_where = _compile(
        journey.trigger.where, entry_scope, "trigger.where", ("trigger", "where"), None, problems
    )
    audience = _compile(journey.audience, entry_scope, "audience", ("audience",), None, problems)
    goals = tuple(
        CompiledGoal(
            g.event,
            _compile(
                g.where, scope, f"exit_on[{i}].where", ("exit_on", i, "where"), None, problems
            ),
        )
        for i, g in enumerate(journey.exit_on)
    )
    if journey.trigger.date is not None:
        reason = check_path(
            journey.trigger.date.field, Scope(roots=MEMBER_ROOTS, where="in a date trigger")
        )
        if reason:
            problems.append(
                JourneyProblem(None, "trigger.date.field", reason, ("trigger", "date", "field"))
            )

    steps: dict[str, CompiledStep] = {}
    for index, spec in enumerate(journey.steps):
        sid = spec.id or ""
        loc: Loc = ("steps", index)
        cases: tuple[Condition, ...] = ()
        wait_for: Condition = ALWAYS
        if isinstance(spec, BranchStep):
            cases = tuple(
                _compile(
                    c.when,
                    scope,
                    f"branch.cases[{i}].when",
                    (*loc, "branch", "cases", i, "when"),
                    sid,
                    problems,
                )
                for i, c in enumerate(spec.branch.cases)
            )
        elif isinstance(spec, WaitForStep):
            wait_for = _compile(
                spec.wait_for.where,
                scope,
                "wait_for.where",
                (*loc, "wait_for", "where"),
                sid,
                problems,
            )
        elif isinstance(spec, WaitStep) and spec.wait.until_field is not None:
            reason = check_path(spec.wait.until_field, scope)
            if reason:
                problems.append(
                    JourneyProblem(sid, "wait.until_field", reason, (*loc, "wait", "until_field"))
                )
        nxt = getattr(spec, "next", None)
        successor = nxt if nxt is not None else default_successor(journey.steps, index)
        steps.setdefault(sid, CompiledStep(sid, index, spec, successor, cases, wait_for))

    for gp in check_graph(journey.steps):
        at = gp.index
        if at is None:
            at = next((i for i, s in enumerate(journey.steps) if s.id == gp.step), None)
        loc = ("steps", at, *gp.loc) if at is not None else ()
        problems.append(JourneyProblem(gp.step, "", gp.reason, loc))

    first = journey.steps[0].id or END
    compiled = CompiledJourney(journey, version, steps, first, trigger_where, audience, goals)
    return compiled, problems


def compile_segment(segment: Segment, version: str) -> tuple[CompiledSegment, list[JourneyProblem]]:
    problems: list[JourneyProblem] = []
    where = _compile(segment.where, MEMBER_SCOPE, "where", ("where",), None, problems)
    return CompiledSegment(segment, version, where), problems
