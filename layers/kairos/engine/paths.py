"""Field paths in conditions and waits (SPEC §2–§3): checking them and reading them.

A path is dotted segments rooted at `profile`, `tags`, `stats`, `trigger`, `event` or
`steps`. A segment ending in `[]` crosses a list: `event.data.items[].category` reads
`category` of every item and yields the list of values, so a comparison can hold "for
any element". A digit segment indexes a list (`event.data.items.0.sku`).

Paths are checked once, when a project is loaded (`check_path`), with a reason a
marketer can act on; reading (`resolve`) never raises — a missing value is `MISSING`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from kairos.models.member import WEEKDAYS, Stats

ROOTS: tuple[str, ...] = ("profile", "tags", "stats", "trigger", "event", "steps")
MEMBER_ROOTS: frozenset[str] = frozenset({"profile", "tags", "stats"})
ENGAGEMENT: tuple[str, ...] = ("sent", "delivered", "opened", "clicked")
EVENT_FIELDS: tuple[str, ...] = ("id", "type", "time", "member", "data")
IDENTIFIERS: tuple[str, ...] = ("line_user_id", "email", "phone", "external_id")

_STATS_MAPS: dict[str, tuple[str, ...] | None] = {
    "category_counts": None,
    "sku_counts": None,
    "weekday_counts": WEEKDAYS,
}
DERIVED_STATS: tuple[str, ...] = ("days_since_last_order", "rfm", "lifecycle")
RFM_FIELDS: tuple[str, ...] = ("r", "f", "m", "segment")
STATS_FIELDS: tuple[str, ...] = tuple(Stats.model_fields) + DERIVED_STATS


class _Missing:
    """A path that leads nowhere (distinct from a stored null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


@dataclass(frozen=True)
class Scope:
    """Which roots a condition may read where it is written."""

    roots: frozenset[str] = frozenset(ROOTS)
    send_steps: frozenset[str] = frozenset()
    """Ids of this journey's send steps (for `steps.<id>.*`)."""
    step_ids: frozenset[str] = frozenset()
    """All step ids of the journey (for a more precise reason)."""
    where: str = "here"
    """How to name the place in a reason ("in a segment", "in lifecycle")."""
    forbidden: frozenset[str] = field(default_factory=frozenset)
    """Exact paths refused here (e.g. `stats.lifecycle` inside lifecycle rules)."""
    segments_allowed: bool = True
    """May `{segment: ID}` be used here? Not in a segment's own definition (a segment
    defined by segments could loop) nor in lifecycle rules."""
    segments: frozenset[str] | None = None
    """The project's segment ids, to refuse an unknown one (None: not checked, e.g. a
    published journey version whose segments may since have been removed)."""


MEMBER_SCOPE = Scope(roots=MEMBER_ROOTS, where="in a segment", segments_allowed=False)


@dataclass(frozen=True)
class Segment:
    name: str
    crosses: bool
    """`name[]`: read every element of the list."""


@lru_cache(maxsize=4096)
def parse(path: str) -> tuple[Segment, ...]:
    """A path's segments. Cached: a project's paths are few and every condition reads
    its own on every evaluation."""
    out: list[Segment] = []
    for raw in path.split("."):
        crosses = raw.endswith("[]")
        name = raw[:-2] if crosses else raw
        out.append(Segment(name, crosses))
    return tuple(out)


def check_path(path: Any, scope: Scope) -> str | None:
    """Why `path` cannot be read in `scope`, or None when it can."""
    if not isinstance(path, str) or not path.strip():
        return "a field path must be a non-empty string, e.g. profile.gender"
    segments = parse(path)
    for seg in segments:
        if not seg.name or any(c.isspace() for c in seg.name) or "[" in seg.name:
            return (
                f"bad path {path!r}: segments are names separated by dots (items[] crosses a list)"
            )
    root = segments[0].name
    rest = segments[1:]
    if root not in ROOTS:
        return f"unknown path {path!r}: a path starts with one of {', '.join(ROOTS)}"
    if root not in scope.roots:
        allowed = ", ".join(r for r in ROOTS if r in scope.roots)
        return f"{path!r}: {root}.* cannot be used {scope.where} (use {allowed})"
    if path in scope.forbidden:
        return f"{path!r} cannot be used {scope.where}"
    if root == "profile":
        return None if rest else f"{path!r}: name an attribute, e.g. profile.gender"
    if root == "tags":
        return None if not rest else f"{path!r}: tags is a set; use {{field: tags, contains: TAG}}"
    if root == "stats":
        return _check_stats(path, rest)
    if root in ("trigger", "event"):
        return _check_event(path, rest)
    return _check_steps(path, rest, scope)


def _check_stats(path: str, rest: tuple[Segment, ...]) -> str | None:
    if not rest:
        return f"{path!r}: name a statistic, e.g. stats.order_count"
    name = rest[0].name
    if name not in STATS_FIELDS:
        return f"unknown statistic {path!r}: known are {', '.join(STATS_FIELDS)}"
    if name in _STATS_MAPS:
        keys = _STATS_MAPS[name]
        if len(rest) != 2:
            return f"{path!r}: name one key, e.g. stats.{name}.{(keys or ('coffee',))[0]}"
        if keys is not None and rest[1].name not in keys:
            return f"{path!r}: {name} keys are {', '.join(keys)}"
        return None
    if name == "views":
        return _check_views(path, rest[1:])
    if name == "rfm":
        if len(rest) != 2 or rest[1].name not in RFM_FIELDS:
            return f"{path!r}: use stats.rfm.r, stats.rfm.f, stats.rfm.m or stats.rfm.segment"
        return None
    if len(rest) > 1:
        return f"{path!r}: stats.{name} has no fields"
    return None


def _check_views(path: str, rest: tuple[Segment, ...]) -> str | None:
    """`stats.views.{pages,products,visits}`, `.sku.<sku>`, `.category.<c>`, `.recent…`
    (what kairos.ingest.browse keeps, docs/tracking.md)."""
    known = ("pages", "products", "visits", "sku", "category", "recent")
    if not rest or rest[0].name not in known:
        return f"{path!r}: stats.views has {', '.join(known)}"
    name = rest[0].name
    if name in ("sku", "category") and len(rest) != 2:
        return f"{path!r}: name one key, e.g. stats.views.{name}.MAT-QUEEN"
    if name in ("pages", "products", "visits") and len(rest) > 1:
        return f"{path!r}: stats.views.{name} has no fields"
    return None


def _check_event(path: str, rest: tuple[Segment, ...]) -> str | None:
    if not rest:
        return None  # the whole event, e.g. {field: trigger, exists: true}
    name = rest[0].name
    if name not in EVENT_FIELDS:
        return f"unknown event field {path!r}: an event has {', '.join(EVENT_FIELDS)}"
    if name == "member" and len(rest) > 1 and rest[1].name not in IDENTIFIERS:
        return f"{path!r}: event member identifiers are {', '.join(IDENTIFIERS)}"
    if name in ("id", "type", "time") and len(rest) > 1:
        return f"{path!r}: {name} has no fields"
    return None


def _check_steps(path: str, rest: tuple[Segment, ...], scope: Scope) -> str | None:
    if len(rest) != 2 or rest[1].name not in ENGAGEMENT:
        return f"{path!r}: use steps.<send step id>.{{{','.join(ENGAGEMENT)}}}"
    step = rest[0].name
    if step not in scope.send_steps:
        if step in scope.step_ids:
            return f"{path!r}: step {step} is not a send step"
        return f"{path!r}: no step {step!r} in this journey"
    return None


def resolve(path: str, context: Mapping[str, Any]) -> tuple[Any, bool]:
    """(value, crossed): the value at `path` (`MISSING` when absent); when a segment
    crossed a list, the value is the flat list of the values found and crossed is True."""
    values: list[Any] = [context]
    crossed = False
    for seg in parse(path):
        nxt: list[Any] = []
        for value in values:
            child = _child(value, seg.name)
            if child is MISSING:
                continue
            if seg.crosses:
                if isinstance(child, list | tuple):
                    nxt.extend(child)
                continue
            nxt.append(child)
        crossed = crossed or seg.crosses
        values = nxt
    if crossed:
        return [v for v in values if v is not None and v is not MISSING], True
    return (values[0] if values else MISSING), False


def _child(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, MISSING)
    if isinstance(value, list | tuple) and name.isdigit():
        index = int(name)
        return value[index] if index < len(value) else MISSING
    return MISSING


def value_at(path: str, context: Mapping[str, Any]) -> Any:
    """The value at a path that crosses no list, or None when absent."""
    value, crossed = resolve(path, context)
    if crossed:
        return value
    return None if value is MISSING else value
