"""Conditions (SPEC §3): compiled once when a project loads, evaluated many times.

`compile_condition` checks every path and operator and reports *all* problems, each with
the location inside the condition (`cases[0].when.all[1]`) and a reason; the compiled
tree evaluates against a context dict (see `kairos.engine.derived.member_context`) and
an injected "now".

Semantics a marketer can rely on (also in docs/conditions.md):
- A path that crosses a list (`event.data.items[].category`), or a field holding a list,
  makes a comparison hold when it holds for *any* element.
- `ne`, `not_in` and `ne_field` are the negations of `eq`, `in` and `eq_field`: on a list
  they hold when *no* element matches ("no item is a mattress"), and on a missing field
  they hold (a member without a gender is `ne: female`).
- Every other comparison on a missing field is false; `exists: false` asks for absence
  (missing, null or an empty list).
- Numbers compare as numbers; two times (ISO strings or `YYYY-MM-DD`) compare as
  instants; anything else compares only with its own type.
- `contains`: membership for a list (`tags`), substring for text, key for a mapping.
- `within_days: N`: the time's date is at most N calendar days (brand time zone) from
  today, before or after (a last order in the past 30 days; a coupon expiring in the
  next 7). `older_than_days: N`: its date is more than N calendar days ago — the same
  count as `stats.days_since_last_order`.
- `{segment: ID}`: the member is in the segment. The answer is not computed here: the
  context carries it under `_segments` (a container of segment ids, filled by whoever
  builds the context — the evaluator reads the segment index); without one, no member
  is in any segment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kairos.engine.paths import MISSING, resolve
from kairos.engine.timing import as_utc, parse_instant, wall_clock

OPERATORS: tuple[str, ...] = (
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "exists",
    "starts_with", "within_days", "older_than_days", "eq_field", "ne_field",
)  # fmt: skip
COMBINATORS: tuple[str, ...] = ("all", "any", "not")
SEGMENT_KEY = "segment"
"""`{segment: ID}`: a leaf of its own, not an operator on a path."""
SEGMENTS = "_segments"
"""Context key of the member's segment answers (a container of segment ids)."""
_ALIASES: dict[str, str] = {
    "equal": "eq", "equals": "eq", "is": "eq", "==": "eq", "not_equal": "ne", "!=": "ne",
    "greater_than": "gt", ">": "gt", ">=": "gte", "less_than": "lt", "<": "lt", "<=": "lte",
    "has": "contains", "includes": "contains", "one_of": "in", "none_of": "not_in",
    "startswith": "starts_with", "prefix": "starts_with", "and": "all", "or": "any",
}  # fmt: skip
"""Words marketers reach for, to suggest the operator they meant."""
_NEGATED = {"ne": "eq", "not_in": "in", "ne_field": "eq_field"}
DAY = timedelta(days=1)
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Problem:
    where: str
    """Location inside the condition, e.g. `all[1]` ("" for the top)."""
    reason: str


class ConditionError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{p.where}: {p.reason}" if p.where else p.reason for p in problems)
        )


@dataclass(frozen=True)
class Env:
    """What a condition reads besides the context: now, and the brand zone (for
    date-only values and calendar days)."""

    now: datetime
    tz: ZoneInfo = UTC_ZONE


class Condition:
    """A compiled condition."""

    def holds(self, context: Mapping[str, Any], now: datetime, tz: ZoneInfo | None = None) -> bool:
        """Evaluate at `now`; the zone defaults to the context's `_tz` (set by
        member_context from the brand settings), else UTC."""
        return self.evaluate(context, Env(as_utc(now), tz or context_zone(context)))

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        raise NotImplementedError

    def paths(self) -> Iterable[str]:
        """Every path this condition reads."""
        raise NotImplementedError

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        """Instants at which the value may change with no event, only because time passed
        (`within_days`, `older_than_days`, `stats.days_since_last_order`, RFM recency).
        A superset is fine: a re-check that changes nothing is harmless."""
        raise NotImplementedError

    def next_change(
        self, context: Mapping[str, Any], now: datetime, tz: ZoneInfo
    ) -> datetime | None:
        """The first of `change_points` strictly after now, or None: when to re-check."""
        later = [p for p in self.change_points(context, tz) if p > as_utc(now)]
        return min(later) if later else None


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        return all(p.evaluate(context, env) for p in self.parts)

    def paths(self) -> Iterable[str]:
        return [q for p in self.parts for q in p.paths()]

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        return [t for p in self.parts for t in p.change_points(context, tz)]


@dataclass(frozen=True)
class AnyOf(All):
    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        return any(p.evaluate(context, env) for p in self.parts)


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        return not self.part.evaluate(context, env)

    def paths(self) -> Iterable[str]:
        return self.part.paths()

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        return self.part.change_points(context, tz)


class Always(Condition):
    """The condition of a journey or trigger that gives none."""

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        return True

    def paths(self) -> Iterable[str]:
        return []

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        return []


ALWAYS = Always()


@dataclass(frozen=True)
class InSegment(Condition):
    """`{segment: ID}`: asks the context's `_segments` (see module docstring)."""

    segment: str

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        answers = context.get(SEGMENTS)
        return answers is not None and self.segment in answers

    def paths(self) -> Iterable[str]:
        return []

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        # Membership that changes with time alone is the segment's own recheck timer's.
        return []


def context_zone(context: Mapping[str, Any]) -> ZoneInfo:
    name = context.get("_tz")
    return ZoneInfo(name) if isinstance(name, str) else UTC_ZONE


# ---- comparisons ------------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return float(a) == float(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _order(a: Any, b: Any, tz: ZoneInfo) -> int | None:
    """-1, 0, 1 comparing a with b; None when they do not compare."""
    if _number(a) and _number(b):
        return int(a > b) - int(a < b)
    if isinstance(a, str | datetime) and isinstance(b, str | datetime):
        ta, tb = parse_instant(a, tz), parse_instant(b, tz)
        if ta is not None and tb is not None:
            return (ta > tb) - (ta < tb)
        if isinstance(a, str) and isinstance(b, str):
            return (a > b) - (a < b)
    return None


def _contains(value: Any, arg: Any) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return any(_equal(v, arg) for v in value)
    if isinstance(value, str):
        return isinstance(arg, str) and arg in value
    if isinstance(value, Mapping):
        return arg in value
    return False


Test = Callable[[Any, Env], bool]


def _days_ago(value: Any, env: Env) -> int | None:
    """Calendar days from the value's local date to today's (negative: in the future)."""
    t = parse_instant(value, env.tz)
    if t is None:
        return None
    return (env.now.astimezone(env.tz).date() - t.astimezone(env.tz).date()).days


def _single_test(op: str, arg: Any) -> Test:
    """The positive test of one element against the operator's argument."""
    if op == "eq":
        return lambda v, env: _equal(v, arg)
    if op in ("gt", "gte", "lt", "lte"):
        accept = {"gt": (1,), "gte": (0, 1), "lt": (-1,), "lte": (-1, 0)}[op]
        return lambda v, env: _order(v, arg, env.tz) in accept
    if op == "in":
        return lambda v, env: any(_equal(v, a) for a in arg)
    if op == "contains":
        return lambda v, env: _contains(v, arg)
    if op == "starts_with":
        return lambda v, env: isinstance(v, str) and v.startswith(arg)
    if op == "within_days":

        def within(v: Any, env: Env) -> bool:
            days = _days_ago(v, env)
            return days is not None and abs(days) <= arg

        return within
    if op == "older_than_days":

        def older(v: Any, env: Env) -> bool:
            days = _days_ago(v, env)
            return days is not None and days > arg

        return older
    raise AssertionError(op)


@dataclass(frozen=True)
class Compare(Condition):
    field: str
    op: str
    arg: Any
    test: Test | None = None
    """The positive element test (None for exists and the *_field operators)."""

    def _elements(self, context: Mapping[str, Any]) -> list[Any]:
        value, crossed = resolve(self.field, context)
        if crossed:
            return list(value)
        if value is MISSING or value is None:
            return []
        if isinstance(value, list | tuple) and self.op not in ("contains", "exists"):
            return list(value)
        return [value]

    def evaluate(self, context: Mapping[str, Any], env: Env) -> bool:
        elements = self._elements(context)
        if self.op == "exists":
            present = any(not (isinstance(e, list | tuple) and not e) for e in elements)
            return present is bool(self.arg)
        base = _NEGATED.get(self.op, self.op)
        if base == "eq_field":
            other_value, other_crossed = resolve(self.arg, context)
            if other_crossed:
                others = list(other_value)
            elif other_value is MISSING or other_value is None:
                others = []
            else:
                others = list(other_value) if isinstance(other_value, list) else [other_value]
            positive = any(_equal(e, o) for e in elements for o in others)
        else:
            assert self.test is not None
            positive = any(self.test(e, env) for e in elements)
        return not positive if self.op in _NEGATED else positive

    def paths(self) -> Iterable[str]:
        return [self.field, self.arg] if self.op in ("eq_field", "ne_field") else [self.field]

    def change_points(self, context: Mapping[str, Any], tz: ZoneInfo) -> list[datetime]:
        points: list[datetime] = []
        if self.op in ("within_days", "older_than_days"):
            n = int(self.arg)
            for element in self._elements(context):
                t = parse_instant(element, tz)
                if t is not None:
                    day = t.astimezone(tz).date()
                    points += [wall_clock(day + k * DAY, 0, 0, tz) for k in (n, n + 1, -n)]
        elif self.field == "stats.days_since_last_order" and _number(self.arg):
            last = parse_instant(_stat(context, "last_order_at"), tz)
            if last is not None:
                day = last.astimezone(tz).date()
                n = int(self.arg)
                points += [wall_clock(day + k * DAY, 0, 0, tz) for k in (n, n + 1)]
        elif self.field.startswith(("stats.rfm", "stats.lifecycle")):
            points += [p for p in (parse_instant(v, tz) for v in _recheck(context)) if p]
        return points


def _stat(context: Mapping[str, Any], name: str) -> Any:
    stats = context.get("stats")
    return stats.get(name) if isinstance(stats, Mapping) else None


def _recheck(context: Mapping[str, Any]) -> list[Any]:
    """Instants at which derived statistics change (put there by member_context)."""
    value = context.get("_recheck", [])
    return list(value) if isinstance(value, list) else []


# ---- compiling -----------------------------------------------------------------------------
