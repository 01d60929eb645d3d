"""Metering of the memory backend for the cost and scale benchmarks (never production).

`Meter(backend)` counts what DynamoDB would bill for the requests Kairos makes on one
`MemoryBackend`, whatever the caller asked for in `ReturnConsumedCapacity`:

- read units per request, from the items returned (4 KB per unit; half for eventually
  consistent reads, double inside a transaction; a miss still costs the minimum);
- write units per item written (1 KB per unit, the larger of old and new image; double
  inside `TransactWriteItems`; one more write per `gsi1` entry changed), counted where
  the memory table stores the item, so batch writes and transactions are included;
- write units per partition key (`writes_by_pk`), for the hot-key figures.

TTL deletions are free in DynamoDB and are not counted. Failed conditional writes
(which DynamoDB bills) are not counted: Kairos retries them rarely outside contention.

Installed with `with Meter(backend) as meter:`; the class-level patch of `MemoryTable`
is undone on exit.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kairos.store.capacity import item_size
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.memory.tables import MemoryTable

_local = threading.local()
_active: list[Meter] = []


def _read(items: list[dict[str, Any]], consistent: bool, transactional: bool = False) -> float:
    units: int = max(1, math.ceil(sum(item_size(i) for i in items) / 4096))
    if transactional:
        return float(2 * units)
    return float(units) if consistent else float(units) / 2


def _write(old: dict[str, Any] | None, new: dict[str, Any] | None) -> float:
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    units = float(max(1, math.ceil(size / 1024)))
    if getattr(_local, "transaction", False):
        units *= 2
    # The overloaded index is one more write wherever an image carries its key.
    if (old and "gsi1pk" in old) or (new and "gsi1pk" in new):
        units += 1
    return units


@dataclass
class Snapshot:
    requests: Counter[str]
    read_units: float
    write_units: float

    def ddb_requests(self) -> int:
        return sum(n for op, n in self.requests.items() if op.startswith("dynamodb."))

    def sqs_requests(self) -> int:
        return sum(n for op, n in self.requests.items() if op.startswith("sqs."))

    def minus(self, earlier: Snapshot) -> Snapshot:
        return Snapshot(
            self.requests - earlier.requests,
            self.read_units - earlier.read_units,
            self.write_units - earlier.write_units,
        )


@dataclass
class Meter:
    backend: MemoryBackend
    read_units: float = 0.0
    write_units: float = 0.0
    writes_by_pk: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Write units per partition key."""
    enrolments: int = 0
    """Enrolment items created (`ENROL#` sort keys, first write)."""
    _saved: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> Snapshot:
        return Snapshot(Counter(self.backend.aws.requests()), self.read_units, self.write_units)

    # ---- installation ---------------------------------------------------------------

    def __enter__(self) -> Meter:
        client = self.backend.aws.client("dynamodb")
        for name, reader in (
            ("get_item", self._get),
            ("batch_get_item", self._batch_get),
            ("query", self._query),
            ("transact_get_items", self._transact_get),
        ):
            self._saved[name] = client.__dict__.get(name)
            setattr(client, name, self._wrap(getattr(client, name), reader))
        inner = client.transact_write_items
        self._saved["transact_write_items"] = client.__dict__.get("transact_write_items")

        def transact(**kwargs: Any) -> Any:
            _local.transaction = True
            try:
                return inner(**kwargs)
            finally:
                _local.transaction = False

        client.transact_write_items = transact
        if not _active:
            self._saved["put"], self._saved["delete"] = MemoryTable.put, MemoryTable.delete
            _install(MemoryTable.put, MemoryTable.delete)
        _active.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        _active.remove(self)
        if not _active and "put" in self._saved:
            MemoryTable.put = self._saved["put"]  # type: ignore[method-assign, assignment, unused-ignore]
            MemoryTable.delete = self._saved["delete"]  # type: ignore[method-assign, assignment, unused-ignore]
        client = self.backend.aws.client("dynamodb")
        for name in ("get_item", "batch_get_item", "query", "transact_get_items"):
            client.__dict__.pop(name, None)
        client.__dict__.pop("transact_write_items", None)

    def _wrap(
        self, call: Callable[..., Any], units: Callable[[dict[str, Any], Any], float]
    ) -> Callable[..., Any]:
        def metered(**kwargs: Any) -> Any:
            response = call(**kwargs)
            self.read_units += units(kwargs, response)
            return response

        return metered

    # ---- read units from what came back -----------------------------------------------

    @staticmethod
    def _get(kwargs: dict[str, Any], response: Any) -> float:
        item = response.get("Item")
        return _read([item] if item else [], bool(kwargs.get("ConsistentRead")))

    @staticmethod
    def _batch_get(kwargs: dict[str, Any], response: Any) -> float:
        total = 0.0
        for name, request in kwargs["RequestItems"].items():
            found = response.get("Responses", {}).get(name, [])
            consistent = bool(request.get("ConsistentRead"))
            misses = len(request["Keys"]) - len(found)
            total += sum(_read([i], consistent) for i in found) + misses * _read([], consistent)
        return total

    @staticmethod
    def _query(kwargs: dict[str, Any], response: Any) -> float:
        return _read(response.get("Items", []), bool(kwargs.get("ConsistentRead")))

    @staticmethod
    def _transact_get(kwargs: dict[str, Any], response: Any) -> float:
        found = [r["Item"] for r in response.get("Responses", []) if r.get("Item")]
        return sum(_read([i], True, transactional=True) for i in found) or 2.0


def _install(put: Callable[..., Any], delete: Callable[..., Any]) -> None:
    def metered_put(table: MemoryTable, item: Any, *, fresh: bool = False) -> Any:
        old = put(table, item, fresh=fresh)
        key = table.key_of(item)
        _note(key[0], _write(old, item), old is None and key[1].startswith("ENROL#"))
        return old

    def metered_delete(table: MemoryTable, key: Any, *, by_ttl: bool = False) -> Any:
        old = delete(table, key, by_ttl=by_ttl)
        if old is not None and not by_ttl:
            _note(key[0], _write(old, None), False)
        return old

    MemoryTable.put = metered_put  # type: ignore[method-assign, assignment, unused-ignore]
    MemoryTable.delete = metered_delete  # type: ignore[method-assign, assignment, unused-ignore]


def _note(pk: str, units: float, enrolment: bool) -> None:
    for meter in _active:
        meter.write_units += units
        meter.writes_by_pk[pk] += units
        meter.enrolments += enrolment


@contextmanager
def deployed_batches() -> Iterator[int]:
    """The simulator's queue pumps hand the sender batches of the deployed size
    (`infra/constructs/sender.py`, 100) instead of their default 10, so per-batch
    requests and keys are counted as Lambda's event source mapping would cause them."""
    from infra.constructs.sender import BATCH_SIZE
    from kairos_dev.local import simulator
    from kairos_dev.local.pumps import QueuePump

    class DeployedPump(QueuePump):  # type: ignore[misc, unused-ignore]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["batch_size"] = BATCH_SIZE
            super().__init__(*args, **kwargs)

    # The simulator looks the class up in its module when a run starts.
    names = vars(simulator)
    saved = names["QueuePump"]
    names["QueuePump"] = DeployedPump
    try:
        yield BATCH_SIZE
    finally:
        names["QueuePump"] = saved
