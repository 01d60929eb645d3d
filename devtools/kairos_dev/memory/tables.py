"""Tables in memory with DynamoDB's data model: partitions ordered by sort key, global
secondary indexes kept in step with every write, a change stream with old and new images,
and TTL expiry on the caller's clock.

Items are stored as low-level attribute values, exactly as DynamoDB returns them, so
the repositories above read and write them unchanged. Lookups are O(log n) in the
partition (bisect on the sorted keys), never O(table): a query costs the same at 40 items
and at 4 million, which is what keeps a simulated tick flat in the brand's size.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kairos.store.schema import TableDef, table_name

Attr = dict[str, Any]
Item = dict[str, Attr]
Key = tuple[str, str]


_SCALARS = frozenset({"S", "N", "BOOL", "NULL", "B"})


def clone_attr(attr: Attr) -> Attr:
    """A copy of one attribute value (several times faster than copy.deepcopy: values
    are only maps, lists, sets and scalars)."""
    ((kind, value),) = attr.items()
    if kind in _SCALARS:  # most values: tested first
        return {kind: value}
    if kind == "M":
        return {"M": {k: clone_attr(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [clone_attr(v) for v in value]}
    return {kind: list(value)}


def clone_item(item: Item) -> Item:
    return {name: clone_attr(value) for name, value in item.items()}


@dataclass
class Partition:
    """One partition key's items, ordered by sort key."""

    keys: list[str] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)

    def put(self, sort_key: str, item: Item) -> None:
        if sort_key not in self.items:
            bisect.insort(self.keys, sort_key)
        self.items[sort_key] = item

    def delete(self, sort_key: str) -> None:
        if self.items.pop(sort_key, None) is not None:
            del self.keys[bisect.bisect_left(self.keys, sort_key)]


@dataclass
class IndexPartition:
    """One index partition: (index sort key, table pk, table sk), ordered."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class StreamRecord:
    sequence: int
    event_name: str
    keys: Item
    new_image: Item | None
    old_image: Item | None
    created: float
    by_ttl: bool = False

    def as_record(self, stream_arn: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ApproximateCreationDateTime": self.created,
            "Keys": self.keys,
            "SequenceNumber": f"{self.sequence:021d}",
            "SizeBytes": 0,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if self.new_image is not None:
            data["NewImage"] = self.new_image
        if self.old_image is not None:
            data["OldImage"] = self.old_image
        record: dict[str, Any] = {
            "eventID": f"{self.sequence:x}",
            "eventName": self.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "dynamodb": data,
            "eventSourceARN": stream_arn,
        }
        if self.by_ttl:
            record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        return record


class MemoryTable:
    def __init__(self, name: str, definition: TableDef, clock: Callable[[], float]) -> None:
        self.name = name
        self.definition = definition
        self.hash_key = definition.partition_key
        self.range_key = definition.sort_key
        self.ttl_attribute: str | None = None
        self.clock = clock
        self.partitions: dict[str, Partition] = {}
        self.indexes: dict[str, tuple[str, str | None, dict[str, IndexPartition]]] = {
            index.name: (index.partition_key, index.sort_key, {}) for index in definition.indexes
        }
        self.stream: list[StreamRecord] = []
        self.stream_enabled = definition.stream
        self._sequence = 0
        self._expiry: list[tuple[int, str, str]] = []
        self.arn = f"arn:aws:dynamodb:ap-northeast-1:123456789012:table/{name}"
        self.stream_arn = f"{self.arn}/stream/memory" if definition.stream else None

    # ---- keys -------------------------------------------------------------------------

    def key_of(self, item: Item) -> Key:
        try:
            pk = item[self.hash_key]["S"]
            sk = item[self.range_key]["S"] if self.range_key else ""
        except KeyError as missing:
            raise KeyError(f"missing key attribute {missing}") from None
        return pk, sk

    def key_item(self, key: Key) -> Item:
        item: Item = {self.hash_key: {"S": key[0]}}
        if self.range_key:
            item[self.range_key] = {"S": key[1]}
        return item

    # ---- reads ------------------------------------------------------------------------

    def get(self, key: Key) -> Item | None:
        partition = self.partitions.get(key[0])
        return partition.items.get(key[1]) if partition is not None else None

    def partition_range(
        self, pk: str, low: str | None, high: str | None, *, low_open: bool, high_open: bool
    ) -> list[str]:
        """Sort keys of a partition within bounds, ascending."""
        partition = self.partitions.get(pk)
        if partition is None:
            return []
        keys = partition.keys
        start = 0
        if low is not None:
            start = (bisect.bisect_right if low_open else bisect.bisect_left)(keys, low)
        end = len(keys)
        if high is not None:
            end = (bisect.bisect_left if high_open else bisect.bisect_right)(keys, high)
        return keys[start:end]

    def index_entries(self, index: str, pk: str) -> list[tuple[str, str, str]]:
        if index not in self.indexes:
            raise KeyError(index)
        partition = self.indexes[index][2].get(pk)
        return list(partition.entries) if partition is not None else []

    def all_keys(self) -> Iterator[Key]:
        for pk in sorted(self.partitions):
            for sk in list(self.partitions[pk].keys):
                yield pk, sk

    def __len__(self) -> int:
        return sum(len(p.items) for p in self.partitions.values())

    # ---- writes -----------------------------------------------------------------------

    def put(self, item: Item, *, fresh: bool = False) -> Item | None:
        """Store `item` (a copy of it, unless `fresh`: made by the backend itself for
        this write, as an update's result, and shared with no caller)."""
        key = self.key_of(item)
        old = self.get(key)
        # Stored items are never changed in place (an update stores a new item), so the
        # stream's images can share them.
        stored = item if fresh else clone_item(item)
        self.partitions.setdefault(key[0], Partition()).put(key[1], stored)
        self._reindex(key, old, stored)
        self._track_expiry(key, stored)
        self._record("MODIFY" if old is not None else "INSERT", key, stored, old)
        return old

    def delete(self, key: Key, *, by_ttl: bool = False) -> Item | None:
        partition = self.partitions.get(key[0])
        old = partition.items.get(key[1]) if partition is not None else None
        if old is None or partition is None:
            return None
        partition.delete(key[1])
        if not partition.items:
            del self.partitions[key[0]]
        self._reindex(key, old, None)
        self._record("REMOVE", key, None, old, by_ttl=by_ttl)
        return old

    def _reindex(self, key: Key, old: Item | None, new: Item | None) -> None:
        for index_pk_attr, index_sk_attr, partitions in self.indexes.values():
            for item, adding in ((old, False), (new, True)):
                if item is None or index_pk_attr not in item:
                    continue
                if index_sk_attr is not None and index_sk_attr not in item:
                    continue
                index_pk = item[index_pk_attr]["S"]
                entry = (item[index_sk_attr]["S"] if index_sk_attr else "", key[0], key[1])
                partition = partitions.setdefault(index_pk, IndexPartition())
                position = bisect.bisect_left(partition.entries, entry)
                present = position < len(partition.entries) and partition.entries[position] == entry
                if adding and not present:
                    partition.entries.insert(position, entry)
                elif not adding and present:
                    partition.entries.pop(position)
                    if not partition.entries:
                        del partitions[index_pk]

    def _record(
        self,
        name: str,
        key: Key,
        new: Item | None,
        old: Item | None,
        *,
        by_ttl: bool = False,
    ) -> None:
        if not self.stream_enabled:
            return
        self._sequence += 1
        self.stream.append(
            StreamRecord(
                sequence=self._sequence,
                event_name=name,
                keys=self.key_item(key),
                new_image=new,
                old_image=old,
                created=self.clock(),
                by_ttl=by_ttl,
            )
        )

    # ---- time to live -----------------------------------------------------------------

    def _track_expiry(self, key: Key, item: Item) -> None:
        if self.ttl_attribute is None:
            return
        value = item.get(self.ttl_attribute)
        if value is not None and "N" in value:
            heapq.heappush(self._expiry, (int(Decimal(value["N"])), key[0], key[1]))

    def expire(self, now: float) -> int:
        """Delete items whose TTL has passed (DynamoDB does it in the background, later;
        here it happens when the owner of the clock asks). Returns how many went."""
        removed = 0
        while self._expiry and self._expiry[0][0] < now:
            expires_at, pk, sk = heapq.heappop(self._expiry)
            item = self.get((pk, sk))
            if item is None or self.ttl_attribute is None:
                continue
            value = item.get(self.ttl_attribute)
            if value is None or "N" not in value or int(Decimal(value["N"])) != expires_at:
                continue  # rewritten with another expiry since: that entry decides
            self.delete((pk, sk), by_ttl=True)
            removed += 1
        return removed

    def enable_ttl(self, attribute: str) -> None:
        self.ttl_attribute = attribute
        for key in list(self.all_keys()):
            item = self.get(key)
            if item is not None:
                self._track_expiry(key, item)


def physical_name(prefix: str, definition: TableDef) -> str:
    return str(table_name(prefix, definition))
