"""DynamoDB's expression language, evaluated in memory on low-level attribute values.

Condition, key-condition, filter, update and projection expressions are parsed once per
expression string (cached) into small trees and evaluated against an item with the
call's `ExpressionAttributeNames` and `ExpressionAttributeValues`, following DynamoDB's
rules: comparisons only between values of the same type, a missing attribute fails every
comparison, `ADD` on a number or a set, `SET a = if_not_exists(a, :v)`, `list_append`.
Anything outside the grammar is a `ValidationException`, as DynamoDB answers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from kairos_dev.memory.tables import Attr, Item, clone_attr

Node = tuple[Any, ...]

_TOKEN = re.compile(r"\s*(<>|<=|>=|[=<>(),.\[\]+\-]|#[\w]+|:[\w]+|[A-Za-z_][\w]*|\d+)")
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}
_COMPARATORS = {"=", "<>", "<", "<=", ">", ">="}


class ExpressionError(ValueError):
    """The expression is not valid DynamoDB syntax (a ValidationException)."""


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"Invalid expression: unexpected {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self, offset: int = 0) -> str | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise ExpressionError(
                f"Invalid expression {self.text!r}: expected {expected or 'more'}, got {token}"
            )
        self.position += 1
        return token

    def done(self) -> None:
        if self.peek() is not None:
            raise ExpressionError(f"Invalid expression {self.text!r}: unexpected {self.peek()}")

    # ---- conditions -------------------------------------------------------------------

    def condition(self) -> Node:
        left = self.conjunction()
        while (self.peek() or "").upper() == "OR":
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while (self.peek() or "").upper() == "AND":
            self.take()
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Node:
        if (self.peek() or "").upper() == "NOT":
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        if self.peek() == "(":
            # A parenthesised condition (an operand never starts with a parenthesis).
            self.take("(")
            inner = self.condition()
            self.take(")")
            return inner
        name = (self.peek() or "").lower()
        if self.peek(1) == "(" and name in {
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
        }:
            self.take()
            self.take("(")
            args = [self.operand()]
            while self.peek() == ",":
                self.take(",")
                args.append(self.operand())
            self.take(")")
            return ("call", name, *args)
        left = self.operand()
        token = (self.peek() or "").upper()
        if token in _COMPARATORS:
            self.take()
            return ("cmp", token, left, self.operand())
        if token == "BETWEEN":
            self.take()
            low = self.operand()
            self.take("AND")
            return ("between", left, low, self.operand())
        if token == "IN":
            self.take()
            self.take("(")
            options = [self.operand()]
            while self.peek() == ",":
                self.take(",")
                options.append(self.operand())
            self.take(")")
            return ("in", left, *options)
        raise ExpressionError(f"Invalid expression {self.text!r}: expected a comparison")

    # ---- operands ---------------------------------------------------------------------

    def operand(self) -> Node:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"Invalid expression {self.text!r}: missing operand")
        if token.startswith(":"):
            self.take()
            return ("value", token)
        if self.peek(1) == "(" and token.lower() in {"size", "if_not_exists", "list_append"}:
            self.take()
            self.take("(")
            args = [self.value_expression()]
            while self.peek() == ",":
                self.take(",")
                args.append(self.value_expression())
            self.take(")")
            return ("fn", token.lower(), *args)
        return self.path()

    def path(self) -> Node:
        token = self.take()
        if token in "()[],.=<>+-" or token.upper() in _KEYWORDS:
            raise ExpressionError(f"Invalid expression {self.text!r}: unexpected {token}")
        parts: list[Any] = [token]
        while self.peek() in (".", "["):
            if self.take() == ".":
                parts.append(self.take())
            else:
                parts.append(int(self.take()))
                self.take("]")
        return ("path", tuple(parts))

    def value_expression(self) -> Node:
        left = self.operand()
        if self.peek() in ("+", "-"):
            operator = self.take()
            return ("arith", operator, left, self.operand())
        return left

    # ---- update and projection ----------------------------------------------------------

    def update(self) -> list[tuple[str, Node, Node | None]]:
        actions: list[tuple[str, Node, Node | None]] = []
        while self.peek() is not None:
            clause = self.take().upper()
            if clause not in ("SET", "REMOVE", "ADD", "DELETE"):
                raise ExpressionError(f"Invalid UpdateExpression {self.text!r}: {clause}")
            while True:
                target = self.path()
                if clause == "SET":
                    self.take("=")
                    actions.append(("SET", target, self.value_expression()))
                elif clause == "REMOVE":
                    actions.append(("REMOVE", target, None))
                else:
                    actions.append((clause, target, self.operand()))
                if self.peek() != ",":
                    break
                self.take(",")
        if not actions:
            raise ExpressionError("Invalid UpdateExpression: empty")
        return actions

    def projection(self) -> list[Node]:
        paths = [self.path()]
        while self.peek() == ",":
            self.take(",")
            paths.append(self.path())
        return paths


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Node:
    parser = _Parser(text)
    node = parser.condition()
    parser.done()
    return node


@lru_cache(maxsize=4096)
def parse_update(text: str) -> tuple[tuple[str, Node, Node | None], ...]:
    parser = _Parser(text)
    actions = parser.update()
    parser.done()
    return tuple(actions)


@lru_cache(maxsize=1024)
def parse_projection(text: str) -> tuple[Node, ...]:
    parser = _Parser(text)
    paths = parser.projection()
    parser.done()
    return tuple(paths)


# ---- evaluation -------------------------------------------------------------------------


class Context:
    """The names and values one call supplies."""

    def __init__(self, names: dict[str, str] | None, values: dict[str, Attr] | None) -> None:
        self.names = names or {}
        self.values = values or {}

    def name(self, token: Any) -> Any:
        if isinstance(token, str) and token.startswith("#"):
            if token not in self.names:
                raise ExpressionError(f"An expression attribute name is not defined: {token}")
            return self.names[token]
        return token

    def value(self, token: str) -> Attr:
        if token not in self.values:
            raise ExpressionError(f"An expression attribute value is not defined: {token}")
        return self.values[token]

    def resolve(self, parts: tuple[Any, ...]) -> list[Any]:
        return [self.name(p) for p in parts]


def _get(item: Item | Attr | None, parts: list[Any]) -> Attr | None:
    current: Any = {"M": item} if item is not None else None
    for part in parts:
        if current is None:
            return None
        if isinstance(part, int):
            values = current.get("L")
            current = values[part] if values is not None and part < len(values) else None
        else:
            mapping = current.get("M")
            current = mapping.get(part) if mapping is not None else None
    return current  # type: ignore[no-any-return]


def number(attr: Attr) -> Decimal:
    return Decimal(attr["N"])


def number_attr(value: Decimal) -> Attr:
    if value == value.to_integral_value():
        return {"N": str(int(value))}
    return {"N": format(value.normalize(), "f")}


def _comparable(attr: Attr) -> tuple[str, Any]:
    ((kind, inner),) = attr.items()
    if kind == "N":
        return kind, Decimal(inner)
    if kind in ("SS", "NS", "BS"):
        return kind, frozenset(inner)
    return kind, inner


def _size(attr: Attr) -> int:
    ((kind, inner),) = attr.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "B":
        return len(inner)
    return len(inner)


def operand_value(node: Node, item: Item | None, ctx: Context) -> Attr | None:
    kind = node[0]
    if kind == "value":
        return ctx.value(node[1])
    if kind == "path":
        return _get(item, ctx.resolve(node[1]))
    if kind == "fn":
        name = node[1]
        if name == "size":
            target = operand_value(node[2], item, ctx)
            return None if target is None else {"N": str(_size(target))}
        if name == "if_not_exists":
            current = operand_value(node[2], item, ctx)
            return current if current is not None else operand_value(node[3], item, ctx)
        if name == "list_append":
            first = operand_value(node[2], item, ctx) or {"L": []}
            second = operand_value(node[3], item, ctx) or {"L": []}
            return {"L": [*first["L"], *second["L"]]}
    if kind == "arith":
        left = operand_value(node[2], item, ctx)
        right = operand_value(node[3], item, ctx)
        if left is None or right is None or "N" not in left or "N" not in right:
            raise ExpressionError("An operand in the update expression has an incorrect data type")
        total = number(left) + number(right) if node[1] == "+" else number(left) - number(right)
        return number_attr(total)
    raise ExpressionError(f"unsupported operand {node!r}")


def _compare(operator: str, left: Attr | None, right: Attr | None) -> bool:
    if left is None or right is None:
        return False
    left_kind, left_value = _comparable(left)
    right_kind, right_value = _comparable(right)
    if left_kind != right_kind:
        return operator == "<>"
    if operator == "=":
        return bool(left_value == right_value)
    if operator == "<>":
        return bool(left_value != right_value)
    if left_kind not in ("S", "N", "B"):
        return False
    if operator == "<":
        return bool(left_value < right_value)
    if operator == "<=":
        return bool(left_value <= right_value)
    if operator == ">":
        return bool(left_value > right_value)
    return bool(left_value >= right_value)


def evaluate(node: Node, item: Item | None, ctx: Context) -> bool:
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], item, ctx) and evaluate(node[2], item, ctx)
    if kind == "or":
        return evaluate(node[1], item, ctx) or evaluate(node[2], item, ctx)
    if kind == "not":
        return not evaluate(node[1], item, ctx)
    if kind == "cmp":
        return _compare(
            node[1], operand_value(node[2], item, ctx), operand_value(node[3], item, ctx)
        )
    if kind == "between":
        value = operand_value(node[1], item, ctx)
        return _compare(">=", value, operand_value(node[2], item, ctx)) and _compare(
            "<=", value, operand_value(node[3], item, ctx)
        )
    if kind == "in":
        value = operand_value(node[1], item, ctx)
        return any(_compare("=", value, operand_value(o, item, ctx)) for o in node[2:])
    if kind == "call":
        name = node[1]
        target = operand_value(node[2], item, ctx)
        if name == "attribute_exists":
            return target is not None
        if name == "attribute_not_exists":
            return target is None
        if target is None:
            return False
        argument = operand_value(node[3], item, ctx)
        if argument is None:
            return False
        if name == "attribute_type":
            return next(iter(target)) == argument.get("S")
        if name == "begins_with":
            for key in ("S", "B"):
                if key in target and key in argument:
                    return bool(target[key].startswith(argument[key]))
            return False
        if name == "contains":
            ((target_kind, inner),) = target.items()
            if target_kind == "S" and "S" in argument:
                return bool(argument["S"] in inner)
            if target_kind in ("SS", "NS", "BS"):
                return next(iter(argument.values())) in inner
            if target_kind == "L":
                return argument in inner
            return False
    raise ExpressionError(f"unsupported condition {node!r}")


def _set(item: Item, parts: list[Any], value: Attr) -> None:
    if len(parts) == 1:
        item[parts[0]] = value
        return
    parent = _get(item, parts[:-1])
    last = parts[-1]
    if parent is None:
        raise ExpressionError("The document path provided in the update expression is invalid")
    if isinstance(last, int):
        values = parent["L"]
        if last < len(values):
            values[last] = value
        else:
            values.append(value)
    else:
        parent["M"][last] = value


def _remove(item: Item, parts: list[Any]) -> None:
    if len(parts) == 1:
        item.pop(parts[0], None)
        return
    parent = _get(item, parts[:-1])
    if parent is None:
        return
    last = parts[-1]
    if isinstance(last, int):
        if last < len(parent["L"]):
            parent["L"].pop(last)
    else:
        parent["M"].pop(last, None)


def apply_update(text: str, item: Item, ctx: Context) -> Item:
    """The item after the update expression (a new item; `item` is left untouched)."""
    updated: Item = {name: clone_attr(value) for name, value in item.items()}
    for action, target, operand in parse_update(text):
        parts = ctx.resolve(target[1])
        if action == "SET":
            assert operand is not None
            # Operands read the item as it was before this update, as DynamoDB does.
            value = operand_value(operand, item, ctx)
            if value is None:
                raise ExpressionError(
                    "The provided expression refers to an attribute that does not exist in the item"
                )
            _set(updated, parts, clone_attr(value))
        elif action == "REMOVE":
            _remove(updated, parts)
        else:
            assert operand is not None
            change = operand_value(operand, item, ctx)
            if change is None:
                raise ExpressionError(f"{action}: value missing")
            current = _get(updated, parts)
            ((kind, inner),) = change.items()
            if action == "ADD" and kind == "N":
                base = number(current) if current is not None and "N" in current else Decimal(0)
                if current is not None and "N" not in current:
                    raise ExpressionError("ADD: an operand has an incorrect data type")
                _set(updated, parts, number_attr(base + Decimal(inner)))
            elif kind in ("SS", "NS", "BS"):
                existing = list(current[kind]) if current is not None else []
                if action == "ADD":
                    merged = existing + [v for v in inner if v not in existing]
                    _set(updated, parts, {kind: merged})
                else:
                    remaining = [v for v in existing if v not in inner]
                    if remaining:
                        _set(updated, parts, {kind: remaining})
                    else:
                        _remove(updated, parts)
            else:
                raise ExpressionError(f"{action} supports numbers and sets only")
    return updated


def project(item: Item, text: str, ctx: Context) -> Item:
    """Only the attributes a projection expression names (top-level and nested)."""
    result: Item = {}
    for node in parse_projection(text):
        parts = ctx.resolve(node[1])
        value = _get(item, parts)
        if value is None:
            continue
        if len(parts) == 1:
            result[parts[0]] = value
        else:
            # Nested projections keep the path's shape.
            _ensure_path(result, item, parts, value)
    return result


def _ensure_path(result: Item, item: Item, parts: list[Any], value: Attr) -> None:
    top = parts[0]
    if top not in result:
        result[top] = clone_attr(item[top])
