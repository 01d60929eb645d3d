"""Table definitions, written once: the CDK stack and the local emulator both build from these.

Kairos keeps everything a brand owns in one single-table design (`main`) plus the
Powertools idempotency table. Key patterns live in `kairos.store.keys` and
`docs/data-model.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndexDef:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableDef:
    logical_id: str
    """Suffix of the physical name: `<prefix>-<logical_id>`."""
    partition_key: str
    sort_key: str | None = None
    ttl_attribute: str | None = None
    stream: bool = False
    """NEW_AND_OLD_IMAGES when true."""
    indexes: tuple[IndexDef, ...] = field(default_factory=tuple)


MAIN = TableDef(
    logical_id="main",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    stream=True,
    indexes=(
        # Overloaded index: enrolments by journey/step, members by lifecycle, etc.
        IndexDef(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),
    ),
)

IDEMPOTENCY = TableDef(
    logical_id="idempotency",
    partition_key="id",
    ttl_attribute="expiration",
)

TABLES: tuple[TableDef, ...] = (MAIN, IDEMPOTENCY)


def table_name(prefix: str, table: TableDef) -> str:
    return f"{prefix}-{table.logical_id}"


def create_table_request(prefix: str, table: TableDef) -> dict[str, object]:
    """The boto3 `create_table` arguments for one table (on-demand, as in the stack)."""
    attrs = {table.partition_key}
    key_schema: list[dict[str, str]] = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        key_schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
        attrs.add(table.sort_key)
    gsis: list[dict[str, object]] = []
    for index in table.indexes:
        index_keys: list[dict[str, str]] = [
            {"AttributeName": index.partition_key, "KeyType": "HASH"}
        ]
        attrs.add(index.partition_key)
        if index.sort_key:
            index_keys.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
            attrs.add(index.sort_key)
        gsis.append(
            {
                "IndexName": index.name,
                "KeySchema": index_keys,
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    request: dict[str, object] = {
        "TableName": table_name(prefix, table),
        "KeySchema": key_schema,
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(attrs)
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if table.stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    return request
