"""Request bodies as JSON, within the limits a member item can hold.

Checked before anything is parsed into events, so a hostile body ends as a 400 rather
than a crash: nesting depth (json's recursion, DynamoDB's 32 levels), numbers DynamoDB
can store (finite, |x| < 1e125, at most 38 digits; no NaN/Infinity), and per-event size
under DynamoDB's 400 KB item limit (an event is copied into the profile item as its
`last_event`, and into the timeline entry).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import ValidationError

from kairos.ingest.errors import InvalidBody, Problem

MAX_DEPTH = 20
"""Nesting of a whole body; a canonical event's `data` sits two levels down, and the
profile item adds two more: well inside DynamoDB's 32."""
MAX_EVENT_BYTES = 64 * 1024
"""One event as JSON; the profile item holds it beside the profile, under 400 KB."""
MAX_NUMBER = 1e125
MAX_DIGITS = 38

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _OutOfRange(ValueError):
    pass


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        raise _OutOfRange(f"number {text} is out of range (finite, below 1e125)")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _OutOfRange(f"number {text[:20]}… has more than {MAX_DIGITS} digits")
    return int(text)


def _parse_constant(text: str) -> Any:
    raise _OutOfRange(f"{text} is not a number JSON allows")


def depth(value: Any) -> int:
    """Nesting depth, iteratively (a recursive walk is what deep bodies exploit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in node)
    return deepest


def load_json(body: bytes) -> Any:
    """The body as JSON values, or InvalidBody saying why not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidBody("body is not UTF-8") from None
    try:
        value = json.loads(
            text,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
        )
    except _OutOfRange as exc:
        raise InvalidBody(f"body: {exc}") from None
    except RecursionError:
        raise InvalidBody(f"body: nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise InvalidBody(f"body is not JSON: {exc.msg} at line {exc.lineno}") from None
    if depth(value) > MAX_DEPTH:
        raise InvalidBody(f"body: nested deeper than {MAX_DEPTH} levels")
    if "\\u" in text and not _encodable(value):
        raise InvalidBody(
            "body: a string holds a lone surrogate escape (\\ud800-\\udfff), not text"
        )
    return value


def _encodable(value: Any) -> bool:
    """Is every string UTF-8 text? JSON's `\\ud800` escapes decode to lone surrogates,
    which no item can store (DynamoDB refuses them): only escapes can make one, so
    bodies without any are not checked."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def size_problem(index: int | None, item: Any) -> Problem | None:
    size = len(json.dumps(item, ensure_ascii=False).encode())
    if size > MAX_EVENT_BYTES:
        return Problem(index, "", f"event is {size} bytes, the limit is {MAX_EVENT_BYTES}")
    return None


def has_control(value: str) -> bool:
    return bool(_CONTROL.search(value))


_LOCATED = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.S)


def problems(exc: ValidationError, index: int | None = None, prefix: str = "") -> list[Problem]:
    """Every validation error as a Problem (`field` is a dotted path)."""
    found = []
    for error in exc.errors()[:10]:
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        located = _LOCATED.match(message)
        # A model-level check names its field in the message ("data.total: ..."):
        # report it at that field.
        if located and (not where or located.group(1).startswith(("data.", "member."))):
            where, message = located.group(1), located.group(2)
        found.append(Problem(index, f"{prefix}{where}", message))
    return found
