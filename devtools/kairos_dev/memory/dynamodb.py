"""The memory adapter's DynamoDB: the data-plane operations Kairos calls, with DynamoDB's
semantics, answered in process.

It takes and returns the same request and response shapes as a boto3 DynamoDB client, so
every repository in `kairos.store` (and Powertools' idempotency layer) runs on it
unchanged: conditional writes that fail with `ConditionalCheckFailedException` (and the
old item when asked), all-or-nothing `TransactWriteItems` with cancellation reasons,
ordered key-condition queries with limits and pagination, batch reads, atomic `ADD`,
the 400 KB item limit, consumed capacity, TTL, and a change stream with old and new
images. Every call is counted, so request figures read the same on either backend.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from kairos.store.capacity import item_size, write_units
from kairos.store.schema import TABLES, TableDef
from kairos_dev.memory.expressions import (
    Context,
    ExpressionError,
    apply_update,
    evaluate,
    parse_condition,
    project,
)
from kairos_dev.memory.tables import Item, Key, MemoryTable, clone_attr, clone_item

MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ITEMS = 100


def client_error(operation: str, code: str, message: str, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, **extra}
    return ClientError(response, operation)


class _Exceptions:
    """`client.exceptions.X` as botocore offers them (all ClientError underneath)."""

    ClientError = ClientError
    ConditionalCheckFailedException = ClientError
    TransactionCanceledException = ClientError
    ResourceNotFoundException = ClientError


class MemoryDynamoDB:
    """Tables by name, the clock their streams and TTL read, and the request counter."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.tables: dict[str, MemoryTable] = {}
        self.requests: Counter[str] = Counter()
        self.metering = False
        """Size every item for consumed capacity even when no caller asks (benchmarks)."""
        self.units: dict[str, float] = {"read": 0.0, "write": 0.0}
        """Read and write capacity units consumed while metering."""

    def create(self, name: str, definition: TableDef) -> MemoryTable:
        table = MemoryTable(name, definition, self.clock)
        if definition.ttl_attribute:
            table.enable_ttl(definition.ttl_attribute)
        self.tables[name] = table
        return table

    def table(self, name: str, operation: str) -> MemoryTable:
        table = self.tables.get(name)
        if table is None:
            raise client_error(
                operation, "ResourceNotFoundException", f"Requested resource not found: {name}"
            )
        return table

    def client(self) -> MemoryDynamoDBClient:
        return MemoryDynamoDBClient(self)

    def expire(self, now: float) -> int:
        return sum(table.expire(now) for table in self.tables.values())


def _read_units(items: list[Item], consistent: bool) -> float:
    size = sum(item_size(item) for item in items)
    units = max(1, math.ceil(size / 4096))
    return float(units if consistent else units / 2)


def _batch_units(found: list[Item], keys: list[Any]) -> Callable[[], float]:
    def units() -> float:
        if not found:
            return float(len(keys))
        return sum(_read_units([item], True) for item in found)

    return units


def _write_units(old: Item | None, new: Item | None, transactional: bool = False) -> float:
    """A write costs what the larger of the old and new item costs (DynamoDB's rule)."""
    larger = max((i for i in (old, new) if i), key=item_size, default={})
    return write_units(larger, transactional=transactional)


class MemoryDynamoDBClient:
    """A boto3-shaped low-level DynamoDB client over `MemoryDynamoDB`."""

    exceptions = _Exceptions

    def __init__(self, backend: MemoryDynamoDB) -> None:
        self.backend = backend

    def _count(self, operation: str) -> None:
        self.backend.requests[operation] += 1

    def _capacity(
        self, kwargs: dict[str, Any], table: str, units: Callable[[], float], *, writes: bool
    ) -> dict[str, Any]:
        """Consumed capacity, computed only when asked for or metered (sizing every item
        costs more than the operation itself)."""
        asked = kwargs.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        if not (asked or self.backend.metering):
            return {}
        consumed = units()
        self.backend.units["write" if writes else "read"] += consumed
        return (
            {"ConsumedCapacity": {"TableName": table, "CapacityUnits": consumed}} if asked else {}
        )

    # ---- control plane (what the local stack needs) -------------------------------------

    def create_table(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        definition = next(
            (t for t in TABLES if name.endswith(f"-{t.logical_id}")),
            None,
        )
        if definition is None:
            raise client_error("CreateTable", "ValidationException", f"unknown table {name}")
        table = self.backend.create(name, definition)
        return {"TableDescription": {"TableName": name, "TableArn": table.arn}}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        table = self.backend.table(TableName, "DescribeTable")
        description: dict[str, Any] = {
            "TableName": TableName,
            "TableArn": table.arn,
            "ItemCount": len(table),
            "TableStatus": "ACTIVE",
        }
        if table.stream_arn:
            description["LatestStreamArn"] = table.stream_arn
        return {"Table": description}

    def update_time_to_live(self, TableName: str, TimeToLiveSpecification: Any) -> Any:
        table = self.backend.table(TableName, "UpdateTimeToLive")
        if TimeToLiveSpecification.get("Enabled"):
            table.enable_ttl(TimeToLiveSpecification["AttributeName"])
        return {"TimeToLiveSpecification": TimeToLiveSpecification}

    # ---- single items -------------------------------------------------------------------

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("GetItem")
        table = self.backend.table(kwargs["TableName"], "GetItem")
        item = table.get(table.key_of(kwargs["Key"]))
        response: dict[str, Any] = self._capacity(
            kwargs,
            table.name,
            lambda: _read_units([item] if item else [], bool(kwargs.get("ConsistentRead"))),
            writes=False,
        )
        if item is not None:
            response["Item"] = self._project(item, kwargs)
        return response

    @staticmethod
    def _project(item: Item, kwargs: dict[str, Any]) -> Item:
        # Stored items are never changed in place, and callers treat answers as read-only
        # (as every Kairos caller does; the parity test would show otherwise): answers
        # share the stored values instead of copying them on every read.
        if kwargs.get("ProjectionExpression"):
            ctx = Context(kwargs.get("ExpressionAttributeNames"), None)
            return project(item, kwargs["ProjectionExpression"], ctx)
        return item

    def _check(
        self, operation: str, table: MemoryTable, key: Key, kwargs: dict[str, Any]
    ) -> Item | None:
        current = table.get(key)
        condition = kwargs.get("ConditionExpression")
        if condition:
            ctx = Context(
                kwargs.get("ExpressionAttributeNames"), kwargs.get("ExpressionAttributeValues")
            )
            try:
                passed = evaluate(parse_condition(condition), current, ctx)
            except ExpressionError as exc:
                raise client_error(operation, "ValidationException", str(exc)) from None
            if not passed:
                extra: dict[str, Any] = {}
                if kwargs.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    extra["Item"] = clone_item(current)
                raise client_error(
                    operation,
                    "ConditionalCheckFailedException",
                    "The conditional request failed",
                    **extra,
                )
        return current

    @staticmethod
    def _validate_item(operation: str, item: Item) -> None:
        # No character takes more than 4 bytes in UTF-8 beyond what repr() shows of it
        # (names, quotes and type tags only add): a short repr is a small item, and only
        # the rare long one is measured exactly.
        if 4 * len(repr(item)) <= MAX_ITEM_BYTES:
            return
        if item_size(item) > MAX_ITEM_BYTES:
            raise client_error(
                operation,
                "ValidationException",
                "Item size has exceeded the maximum allowed size",
            )

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("PutItem")
        table = self.backend.table(kwargs["TableName"], "PutItem")
        item = kwargs["Item"]
        self._validate_item("PutItem", item)
        key = table.key_of(item)
        self._check("PutItem", table, key, kwargs)
        old = table.put(item)
        response = self._capacity(kwargs, table.name, lambda: _write_units(old, item), writes=True)
        if kwargs.get("ReturnValues") == "ALL_OLD" and old is not None:
            response["Attributes"] = clone_item(old)
        return response

    def _updated(
        self, operation: str, table: MemoryTable, kwargs: dict[str, Any]
    ) -> tuple[Item | None, Item]:
        key = table.key_of(kwargs["Key"])
        current = self._check(operation, table, key, kwargs)
        base = current if current is not None else table.key_item(key)
        ctx = Context(
            kwargs.get("ExpressionAttributeNames"), kwargs.get("ExpressionAttributeValues")
        )
        try:
            updated = apply_update(kwargs["UpdateExpression"], base, ctx)
        except ExpressionError as exc:
            raise client_error(operation, "ValidationException", str(exc)) from None
        if table.key_of(updated) != key:
            raise client_error(operation, "ValidationException", "Cannot update key attributes")
        self._validate_item(operation, updated)
        return current, updated

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("UpdateItem")
        table = self.backend.table(kwargs["TableName"], "UpdateItem")
        old, new = self._updated("UpdateItem", table, kwargs)
        table.put(new, fresh=True)  # the update's own new item
        response = self._capacity(kwargs, table.name, lambda: _write_units(old, new), writes=True)
        returned = kwargs.get("ReturnValues", "NONE")
        if returned == "ALL_NEW":
            response["Attributes"] = clone_item(new)
        elif returned == "ALL_OLD" and old is not None:
            response["Attributes"] = clone_item(old)
        elif returned == "UPDATED_NEW":
            response["Attributes"] = {
                k: clone_attr(v) for k, v in new.items() if old is None or old.get(k) != v
            }
        return response

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("DeleteItem")
        table = self.backend.table(kwargs["TableName"], "DeleteItem")
        key = table.key_of(kwargs["Key"])
        self._check("DeleteItem", table, key, kwargs)
        old = table.delete(key)
        response = self._capacity(kwargs, table.name, lambda: _write_units(old, None), writes=True)
        if kwargs.get("ReturnValues") == "ALL_OLD" and old is not None:
            response["Attributes"] = clone_item(old)
        return response

    # ---- queries --------------------------------------------------------------------------

    def query(self, **kwargs: Any) -> dict[str, Any]:
        from kairos_dev.memory.queries import run_query

        self._count("Query")
        table = self.backend.table(kwargs["TableName"], "Query")
        try:
            return run_query(table, kwargs)
        except ExpressionError as exc:
            raise client_error("Query", "ValidationException", str(exc)) from None

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        from kairos_dev.memory.queries import run_scan

        self._count("Scan")
        table = self.backend.table(kwargs["TableName"], "Scan")
        return run_scan(table, kwargs)

    # ---- batches and transactions -----------------------------------------------------------

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("BatchGetItem")
        responses: dict[str, list[Item]] = {}
        consumed: list[dict[str, Any]] = []
        for name, request in kwargs["RequestItems"].items():
            table = self.backend.table(name, "BatchGetItem")
            found = []
            for key in request["Keys"]:
                item = table.get(table.key_of(key))
                if item is not None:
                    found.append(self._project(item, request))
            responses[name] = found
            units = _batch_units(found, request["Keys"])
            answer = self._capacity(kwargs, name, units, writes=False)
            consumed.append(answer.get("ConsumedCapacity", {}))
        response: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": {}}
        if kwargs.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
            response["ConsumedCapacity"] = consumed
        return response

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        self._count("BatchWriteItem")
        for name, requests in kwargs["RequestItems"].items():
            table = self.backend.table(name, "BatchWriteItem")
            for request in requests:
                if "PutRequest" in request:
                    self._validate_item("BatchWriteItem", request["PutRequest"]["Item"])
                    table.put(request["PutRequest"]["Item"])
                else:
                    table.delete(table.key_of(request["DeleteRequest"]["Key"]))
        return {"UnprocessedItems": {}}

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        """All or nothing: every condition is checked and every write prepared before the
        first one is applied, so a failure of any kind leaves the tables untouched."""
        self._count("TransactWriteItems")
        entries = kwargs["TransactItems"]
        if len(entries) > MAX_TRANSACTION_ITEMS:
            raise client_error(
                "TransactWriteItems", "ValidationException", "Too many items in a transaction"
            )
        plans: list[tuple[str, MemoryTable, Key, Item | None, Item | None]] = []
        reasons: list[dict[str, str]] = []
        failed = False
        seen: set[tuple[str, Key]] = set()
        for entry in entries:
            ((operation, body),) = entry.items()
            table = self.backend.table(body["TableName"], "TransactWriteItems")
            key = table.key_of(body["Item"] if operation == "Put" else body["Key"])
            if (table.name, key) in seen:
                raise client_error(
                    "TransactWriteItems",
                    "ValidationException",
                    "Transaction request cannot include multiple operations on one item",
                )
            seen.add((table.name, key))
            try:
                current = self._check("TransactWriteItems", table, key, body)
                new: Item | None = None
                if operation == "Put":
                    self._validate_item("TransactWriteItems", body["Item"])
                    new = body["Item"]
                elif operation == "Update":
                    current, new = self._updated("TransactWriteItems", table, body)
                plans.append((operation, table, key, current, new))
                reasons.append({"Code": "None"})
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code != "ConditionalCheckFailedException":
                    raise
                failed = True
                reason = {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                }
                if body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                    reason_item = table.get(key)
                    if reason_item is not None:
                        reason["Item"] = clone_item(reason_item)  # type: ignore[assignment]
                reasons.append(reason)
        if failed:
            listed = ", ".join(r["Code"] for r in reasons)
            raise client_error(
                "TransactWriteItems",
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific "
                f"reasons [{listed}]",
                CancellationReasons=reasons,
            )
        for operation, table, key, _, new in plans:
            if operation in ("Put", "Update") and new is not None:
                table.put(new, fresh=operation == "Update")  # an update's item is its own
            elif operation == "Delete":
                table.delete(key)
        if not plans:
            return {}

        def units() -> float:
            return sum(
                _write_units(current, new if operation != "Delete" else None, transactional=True)
                for operation, _, _, current, new in plans
                if operation != "ConditionCheck"
            )

        answer = self._capacity(kwargs, plans[0][1].name, units, writes=True)
        return {"ConsumedCapacity": [answer["ConsumedCapacity"]]} if answer else {}

    def transact_get_items(self, **kwargs: Any) -> dict[str, Any]:
        self._count("TransactGetItems")
        responses = []
        for entry in kwargs["TransactItems"]:
            body = entry["Get"]
            table = self.backend.table(body["TableName"], "TransactGetItems")
            item = table.get(table.key_of(body["Key"]))
            responses.append({"Item": self._project(item, body)} if item else {})
        return {"Responses": responses}


class MemoryStreamsClient:
    """`dynamodbstreams` over the memory tables: one shard per table, records in order."""

    def __init__(self, backend: MemoryDynamoDB) -> None:
        self.backend = backend

    def _table(self, arn: str) -> MemoryTable:
        for table in self.backend.tables.values():
            if table.stream_arn == arn:
                return table
        raise client_error("DescribeStream", "ResourceNotFoundException", f"no stream {arn}")

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        self._table(StreamArn)
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [{"ShardId": "shard-0"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str) -> Any:
        table = self._table(StreamArn)
        start = 0 if ShardIteratorType == "TRIM_HORIZON" else len(table.stream)
        return {"ShardIterator": f"{StreamArn}|{start}"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        arn, _, position = ShardIterator.rpartition("|")
        table = self._table(arn)
        start = int(position)
        chosen = table.stream[start : start + Limit]
        return {
            "Records": [r.as_record(arn) for r in chosen],
            "NextShardIterator": f"{arn}|{start + len(chosen)}",
        }
