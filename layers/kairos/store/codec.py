"""Plain Python values ⇄ DynamoDB attribute values.

DynamoDB numbers are decimals; the domain works in int/float. Floats go through
`str()` so 0.1 stays 0.1, and come back as int when they are whole.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_decimals(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: _to_decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_decimals(v) for v in value]
    return value


def _from_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_decimals(v) for v in value]
    if isinstance(value, set):
        return sorted(_from_decimals(v) for v in value)
    return value


def to_attr(value: Any) -> dict[str, Any]:
    """One Python value → one attribute value."""
    result: dict[str, Any] = dict(_serializer.serialize(_to_decimals(value)))
    return result


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A Python mapping → a low-level DynamoDB item (None values dropped)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (or stream image) → plain Python values."""
    return {k: _from_decimals(_deserializer.deserialize(v)) for k, v in item.items()}
