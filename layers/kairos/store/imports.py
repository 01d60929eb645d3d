"""A console import's progress in DynamoDB: what was started, which chunks were applied
with their counts, and each chunk's rejected rows (bounded).

Key patterns (keys.py, docs/data-model.md):
- the import:   `IMPORT#<import id>` / `META`: file name, encoding, mapping, header
  (from chunk 0), who started it, counters (chunks_done, rows_applied, rows_rejected,
  next_line); TTL `expires_at`
- a chunk:      `IMPORT#<import id>` / `CHUNK#<n, 6 digits>`: its counts, its first line
  and at most REJECTS_PER_CHUNK rejected rows (line, column, reason, the original row);
  TTL `expires_at`

Request costs: start, 1 PutItem; a chunk, 1 GetItem of the chunk (a retry answers from
it), 1 GetItem of the import, then 1 TransactWriteItems (the chunk's Put, conditional
on its absence, and the import's counters' ADD, conditional on `chunks_done = n`, so
chunks apply once and in order); progress, 1 GetItem; the rejects, 1 Query.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from kairos.store.codec import from_item, to_attr, to_item

META_SK = "META"
REJECTS_PER_CHUNK = 200
"""Rejected rows kept per chunk (an item holds at most 400 KB; a 1 MB chunk holds some
5,000 rows): the counts count them all, the rejects file lists the first ones."""
TTL_DAYS = 30


def import_pk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def chunk_sk(chunk: int) -> str:
    return f"CHUNK#{chunk:06d}"


class ImportStore:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")

    def start(self, import_id: str, meta: dict[str, Any], now: datetime) -> None:
        expires = int((now + timedelta(days=TTL_DAYS)).timestamp())
        item = {
            **meta, "pk": import_pk(import_id), "sk": META_SK, "chunks_done": 0,
            "rows_applied": 0, "rows_rejected": 0, "next_line": 2, "expires_at": expires,
        }  # fmt: skip
        self.client.put_item(
            TableName=self.table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, import_id: str) -> dict[str, Any] | None:
        return self._get(import_pk(import_id), META_SK)

    def chunk(self, import_id: str, chunk: int) -> dict[str, Any] | None:
        return self._get(import_pk(import_id), chunk_sk(chunk))

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(pk), "sk": to_attr(sk)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def finish_chunk(
        self,
        import_id: str,
        chunk: int,
        result: dict[str, Any],
        header: list[str] | None,
        now: datetime,
    ) -> bool:
        """Record a chunk once, in order; False when it was recorded already (or is not
        the next one)."""
        expires = int((now + timedelta(days=TTL_DAYS)).timestamp())
        item = {**result, "pk": import_pk(import_id), "sk": chunk_sk(chunk),
                "expires_at": expires}  # fmt: skip
        update = "ADD chunks_done :one, rows_applied :a, rows_rejected :r, next_line :rows"
        values: dict[str, Any] = {
            ":one": 1, ":a": result["applied"], ":r": result["rejected"],
            ":rows": result["rows"], ":n": chunk,
        }  # fmt: skip
        if header is not None:
            update += " SET header = :h"
            values[":h"] = header
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": to_item(item),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Update": {
                        "TableName": self.table,
                        "Key": {"pk": to_attr(import_pk(import_id)), "sk": to_attr(META_SK)},
                        "UpdateExpression": update,
                        "ConditionExpression": "chunks_done = :n",
                        "ExpressionAttributeValues": to_item(values),
                    }},
                ]
            )  # fmt: skip
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def chunks(self, import_id: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
            "ExpressionAttributeValues": {
                ":pk": to_attr(import_pk(import_id)), ":c": to_attr("CHUNK#"),
            },
        }  # fmt: skip
        found: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**kwargs)
            found.extend(from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
