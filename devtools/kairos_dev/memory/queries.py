"""Query and Scan on the memory tables, as DynamoDB runs them.

A key condition names one partition (`pk = :pk`) and optionally a sort-key range (`=`,
`<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with`); the range is found by bisection, then
`Limit` counts items read *before* the filter (as DynamoDB does), `ScanIndexForward`
orders, and `LastEvaluatedKey`/`ExclusiveStartKey` page. Index queries read the index's
own ordered entries.
"""

from __future__ import annotations

import math
from typing import Any

from kairos.store.capacity import item_size
from kairos_dev.memory.expressions import (
    Context,
    ExpressionError,
    Node,
    evaluate,
    parse_condition,
    project,
)
from kairos_dev.memory.tables import Item, Key, MemoryTable, clone_attr

_MAX = "\U0010ffff"


def _conjuncts(node: Node) -> list[Node]:
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _attribute(node: Node, ctx: Context) -> str:
    if node[0] != "path" or len(node[1]) != 1:
        raise ExpressionError("Key conditions name top-level key attributes")
    return str(ctx.name(node[1][0]))


def _string(node: Node, ctx: Context) -> str:
    if node[0] != "value":
        raise ExpressionError("Key conditions compare with a value")
    value = ctx.value(node[1])
    if "S" not in value:
        raise ExpressionError("Kairos keys are strings")
    return str(value["S"])


def key_range(
    text: str, ctx: Context, hash_attr: str, range_attr: str | None
) -> tuple[str, tuple[str | None, str | None, bool, bool]]:
    """(partition key, (low, high, low_open, high_open)) of a key condition."""
    partition: str | None = None
    low: str | None = None
    high: str | None = None
    low_open = high_open = False
    for part in _conjuncts(parse_condition(text)):
        if part[0] == "cmp":
            name = _attribute(part[2], ctx)
            value = _string(part[3], ctx)
            operator = part[1]
            if name == hash_attr and operator == "=":
                partition = value
                continue
            if name != range_attr:
                raise ExpressionError(f"Query key condition not supported: {name}")
            if operator == "=":
                low = high = value
            elif operator in ("<", "<="):
                high, high_open = value, operator == "<"
            elif operator in (">", ">="):
                low, low_open = value, operator == ">"
            else:
                raise ExpressionError(f"Invalid operator in key condition: {operator}")
        elif part[0] == "between":
            if _attribute(part[1], ctx) != range_attr:
                raise ExpressionError("BETWEEN applies to the sort key")
            low, high = _string(part[2], ctx), _string(part[3], ctx)
        elif part[0] == "call" and part[1] == "begins_with":
            if _attribute(part[2], ctx) != range_attr:
                raise ExpressionError("begins_with applies to the sort key")
            prefix = _string(part[3], ctx)
            low, high = prefix, prefix + _MAX
        else:
            raise ExpressionError("Invalid KeyConditionExpression")
    if partition is None:
        raise ExpressionError("Query condition missed key schema element")
    return partition, (low, high, low_open, high_open)


def _in_range(value: str, bounds: tuple[str | None, str | None, bool, bool]) -> bool:
    low, high, low_open, high_open = bounds
    if low is not None and (value < low or (low_open and value == low)):
        return False
    return not (high is not None and (value > high or (high_open and value == high)))


def run_query(table: MemoryTable, kwargs: dict[str, Any]) -> dict[str, Any]:
    ctx = Context(kwargs.get("ExpressionAttributeNames"), kwargs.get("ExpressionAttributeValues"))
    index = kwargs.get("IndexName")
    if index:
        hash_attr, range_attr, _ = table.indexes[index]
    else:
        hash_attr, range_attr = table.hash_key, table.range_key
    partition, bounds = key_range(kwargs["KeyConditionExpression"], ctx, hash_attr, range_attr)
    forward = kwargs.get("ScanIndexForward", True)

    # Ordered candidate keys: (index sort key, table key).
    candidates: list[tuple[str, Key]]
    if index:
        candidates = [
            (isk, (pk, sk))
            for isk, pk, sk in table.index_entries(index, partition)
            if _in_range(isk, bounds)
        ]
    else:
        low, high, low_open, high_open = bounds
        start = kwargs.get("ExclusiveStartKey")
        if start:
            # Continue after the start key by bisection, as DynamoDB does (even when
            # that item is gone), instead of looking for it in the whole range.
            start_pk, start_sk = table.key_of(start)
            if start_pk == partition and start_sk is not None:
                if forward and (low is None or start_sk >= low):
                    low, low_open = start_sk, True
                elif not forward and (high is None or start_sk <= high):
                    high, high_open = start_sk, True
        sks = table.partition_range(partition, low, high, low_open=low_open, high_open=high_open)
        limit = kwargs.get("Limit")
        if limit:
            # One more than the page: enough to tell whether there is a next page.
            sks = sks[: limit + 1] if forward else sks[-(limit + 1) :]
        candidates = [(sk, (partition, sk)) for sk in sks]
    if not forward:
        candidates.reverse()
    start = kwargs.get("ExclusiveStartKey")
    if start and index:
        start_key = table.key_of(start)
        position = next((i for i, (_, key) in enumerate(candidates) if key == start_key), None)
        candidates = candidates[position + 1 :] if position is not None else candidates
    limit = kwargs.get("Limit")
    evaluated = candidates[:limit] if limit else candidates
    items: list[Item] = []
    read: list[Item] = []
    condition = (
        parse_condition(kwargs["FilterExpression"]) if kwargs.get("FilterExpression") else None
    )
    for _, key in evaluated:
        item = table.get(key)
        if item is None:
            continue
        read.append(item)
        if condition is not None and not evaluate(condition, item, ctx):
            continue
        items.append(_shape(item, kwargs, ctx))
    response: dict[str, Any] = {
        "Items": items,
        "Count": len(items),
        "ScannedCount": len(read),
    }
    if limit and len(candidates) > limit and evaluated:
        last = table.get(evaluated[-1][1]) or {}
        last_key = table.key_item(evaluated[-1][1])
        if index:
            for attribute in (hash_attr, range_attr):
                if attribute and attribute in last:
                    last_key[attribute] = clone_attr(last[attribute])
        response["LastEvaluatedKey"] = last_key
    if kwargs.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        size = sum(item_size(i) for i in read)
        units = max(1, math.ceil(size / 4096))
        consistent = bool(kwargs.get("ConsistentRead"))
        response["ConsumedCapacity"] = {
            "TableName": table.name,
            "CapacityUnits": float(units if consistent else units / 2),
        }
    return response


def _shape(item: Item, kwargs: dict[str, Any], ctx: Context) -> Item:
    if kwargs.get("Select") == "COUNT":
        return {}
    if kwargs.get("ProjectionExpression"):
        return project(item, kwargs["ProjectionExpression"], ctx)
    return item  # shared, read-only (see MemoryDynamoDBClient._project)


def run_scan(table: MemoryTable, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A full read, for people's commands and tests; nothing on a hot path scans."""
    ctx = Context(kwargs.get("ExpressionAttributeNames"), kwargs.get("ExpressionAttributeValues"))
    keys = list(table.all_keys())
    start = kwargs.get("ExclusiveStartKey")
    if start:
        start_key = table.key_of(start)
        keys = [k for k in keys if k > start_key]
    limit = kwargs.get("Limit")
    page = keys[:limit] if limit else keys
    condition = (
        parse_condition(kwargs["FilterExpression"]) if kwargs.get("FilterExpression") else None
    )
    items = []
    for key in page:
        item = table.get(key)
        if item is None or (condition is not None and not evaluate(condition, item, ctx)):
            continue
        items.append(_shape(item, kwargs, ctx))
    response: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(page)}
    if limit and len(keys) > limit:
        response["LastEvaluatedKey"] = table.key_item(page[-1])
    return response
