"""DynamoDB capacity accounting, for cost figures.

AWS reports consumed capacity on every call; the emulator leaves transactional writes
out, so we compute them with DynamoDB's published rules: an item's size is the sum of
its attribute names and values, a standard write costs 1 unit per started KB and a
transactional write twice that.
"""

from __future__ import annotations

import math
from typing import Any


def attribute_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        digits = len(str(inner).lstrip("-").replace(".", "").strip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(item: dict[str, Any], transactional: bool = False) -> float:
    units = max(1, math.ceil(item_size(item) / 1024))
    return float(units * (2 if transactional else 1))
