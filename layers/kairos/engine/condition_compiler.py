"""Compiling a condition (SPEC §3) from a journey, segment or setting: every path and
operator checked, *all* problems reported with where they are inside the condition
(`cases[0].when.all[1]`) and why, with a suggestion for the operator a marketer meant.
The compiled tree is `kairos.engine.conditions`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from kairos.engine.conditions import (
    _ALIASES,
    _NEGATED,
    ALWAYS,
    COMBINATORS,
    OPERATORS,
    SEGMENT_KEY,
    All,
    AnyOf,
    Compare,
    Condition,
    ConditionError,
    Env,
    InSegment,
    Not,
    Problem,
    _single_test,
)
from kairos.engine.paths import Scope, check_path

SEGMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _join(where: str, part: str) -> str:
    if not where:
        return part
    return f"{where}{part}" if part.startswith("[") else f"{where}.{part}"


def _check_arg(op: str, arg: Any, scope: Scope) -> str | None:
    scalar = (str, int, float, bool, type(None))
    if op in ("eq", "ne"):
        if not isinstance(arg, scalar):
            return f"{op} takes one value" + (
                "; for several use in / not_in" if isinstance(arg, list) else ""
            )
    elif op in ("gt", "gte", "lt", "lte"):
        if isinstance(arg, bool) or not isinstance(arg, int | float | str):
            return f'{op} takes a number or a time (e.g. 1000 or "2026-03-01")'
    elif op in ("in", "not_in"):
        if not isinstance(arg, list) or not arg:
            return f"{op} takes a non-empty list, e.g. [a, b]"
        if not all(isinstance(a, scalar) for a in arg):
            return f"{op} takes a list of plain values"
    elif op == "contains":
        if not isinstance(arg, scalar):
            return "contains takes one value"
    elif op == "exists":
        if not isinstance(arg, bool):
            return "exists takes true or false"
    elif op == "starts_with":
        if not isinstance(arg, str):
            return "starts_with takes text"
    elif op in ("within_days", "older_than_days"):
        if isinstance(arg, bool) or not isinstance(arg, int | float) or arg < 0:
            return f"{op} takes a number of days (0 or more)"
    elif op in ("eq_field", "ne_field"):
        reason = check_path(arg, scope)
        if reason is not None:
            return f"{op}: {reason}"
    return None


def compile_condition(raw: Any, scope: Scope, where: str = "") -> Condition:
    """Compile a raw condition or raise `ConditionError` listing every problem."""
    problems: list[Problem] = []
    compiled = _compile(raw, scope, where, problems)
    if problems:
        raise ConditionError(problems)
    return compiled


def _compile(raw: Any, scope: Scope, where: str, problems: list[Problem]) -> Condition:
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(where, "a condition is a mapping: {field: PATH, OP: VALUE}, all, any or not")
        )
        return ALWAYS
    keys = list(raw)
    combinators = [k for k in keys if k in COMBINATORS]
    if combinators:
        if len(keys) != 1:
            problems.append(
                Problem(where, f"{combinators[0]} stands alone; put the other keys inside it")
            )
            return ALWAYS
        key = combinators[0]
        value = raw[key]
        if key == "not":
            return Not(_compile(value, scope, _join(where, "not"), problems))
        if not isinstance(value, list) or not value:
            problems.append(
                Problem(_join(where, key), f"{key} takes a non-empty list of conditions")
            )
            return ALWAYS
        parts = tuple(
            _compile(v, scope, _join(_join(where, key), f"[{i}]"), problems)
            for i, v in enumerate(value)
        )
        return All(parts) if key == "all" else AnyOf(parts)
    if SEGMENT_KEY in raw:
        return _segment(raw, scope, where, problems)
    if "field" not in raw:
        unknown = [k for k in keys if k not in OPERATORS]
        hint = f" (unknown key {unknown[0]!r})" if unknown else ""
        problems.append(
            Problem(where, f"a condition needs `field` and an operator, or all / any / not{hint}")
        )
        return ALWAYS
    reason = check_path(raw["field"], scope)
    if reason is not None:
        problems.append(Problem(where, reason))
    ops = [k for k in keys if k != "field"]
    unknown = [k for k in ops if k not in OPERATORS]
    for k in unknown:
        close = [_ALIASES[k]] if k in _ALIASES else difflib.get_close_matches(k, OPERATORS, 1)
        hint = f"; did you mean {close[0]}?" if close else f"; use one of {' '.join(OPERATORS)}"
        problems.append(Problem(where, f"unknown operator {k!r}{hint}"))
    known = [k for k in ops if k in OPERATORS]
    if not known and not unknown:
        problems.append(Problem(where, f"{raw['field']}: give an operator, e.g. eq"))
    if len(known) > 1:
        problems.append(
            Problem(where, f"one operator per condition (got {', '.join(known)}); combine with all")
        )
    if len(known) != 1 or reason is not None or unknown:
        return ALWAYS
    op = known[0]
    arg_reason = _check_arg(op, raw[op], scope)
    if arg_reason is not None:
        problems.append(Problem(where, arg_reason))
        return ALWAYS
    base = _NEGATED.get(op, op)
    test = None if base in ("exists", "eq_field") else _single_test(base, raw[op])
    return Compare(field=raw["field"], op=op, arg=raw[op], test=test)


def _segment(
    raw: Mapping[str, Any], scope: Scope, where: str, problems: list[Problem]
) -> Condition:
    """`{segment: ID}`: the member is in the segment (negated with `not`)."""
    if len(raw) != 1:
        others = ", ".join(str(k) for k in raw if k != SEGMENT_KEY)
        problems.append(
            Problem(where, f"segment stands alone (got also {others}); combine with all / any")
        )
        return ALWAYS
    segment_id = raw[SEGMENT_KEY]
    if not isinstance(segment_id, str) or not SEGMENT_ID.match(segment_id):
        problems.append(Problem(where, "segment takes one segment id, e.g. {segment: vip}"))
        return ALWAYS
    if not scope.segments_allowed:
        problems.append(
            Problem(where, f"segment {segment_id!r} cannot be used {scope.where}: "
                    "a segment or lifecycle rule cannot depend on segments")
        )  # fmt: skip
        return ALWAYS
    if scope.segments is not None and segment_id not in scope.segments:
        known = ", ".join(sorted(scope.segments)) or "none in segments/"
        close = difflib.get_close_matches(segment_id, sorted(scope.segments), 1)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(Problem(where, f"no segment {segment_id!r} (known: {known}){hint}"))
        return ALWAYS
    return InSegment(segment_id)


def compile_optional(raw: Any, scope: Scope, where: str = "") -> Condition:
    return ALWAYS if raw is None else compile_condition(raw, scope, where)


__all__ = [
    "ALWAYS",
    "OPERATORS",
    "Condition",
    "ConditionError",
    "Env",
    "Problem",
    "compile_condition",
    "compile_optional",
]
