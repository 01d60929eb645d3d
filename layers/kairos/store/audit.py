"""The audit trail in DynamoDB: every staff change and export, who made it, newest first.

Key patterns (keys.py, docs/data-model.md):
- an entry:        `AUDIT#<yyyy-mm-dd>` / `<iso time>#<request id>` (UTC day), with
                   gsi1 `AUDITM#<member_id>` / `<iso time>#<request id>` when it names
                   a member; TTL `expires_at`
- the day list:    `AUDITDAYS` / `<yyyy-mm-dd>`: the days that have entries, so a reader
                   walks back over those days only, never over empty ones

Request costs:
- record one entry: TransactWriteItems (entry + its day), 1 request (staff writes are
  rare: a person's clicks, not events)
- a page of the log: one Query of `AUDITDAYS` (newest days first), then one Query per
  day until the page is full: at most `limit` + 1 requests (each listed day holds at
  least one entry), usually 2
- a member's entries: one Query of gsi1 `AUDITM#<member_id>`, paged

The cursor of a page is the last entry's sort key (`<iso time>#<request id>`): the day
is its first ten characters, so the next page starts in that day, before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from kairos.clock import iso, utc
from kairos.store import keys
from kairos.store.codec import from_item, to_attr, to_item

DAY_PAGE = 31
"""Days read from the day list at a time."""


@dataclass(frozen=True)
class AuditRecord:
    """One staff change or export: `by` is the signed-in user (or the IAM principal's
    ARN), `role` their console role (or `iam`); `detail` holds ids, tags, filters and
    counts, never a member's personal data."""

    time: datetime
    request_id: str
    by: str
    role: str
    action: str
    member_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> str:
        return keys.audit_sk(iso(self.time), self.request_id)


class AuditRepository:
    def __init__(self, table: str, client: Any | None = None, *, ttl_days: int = 730) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")
        self.ttl_days = ttl_days

    def record(self, entry: AuditRecord) -> None:
        """Write the entry and mark its day (a retried request overwrites its own)."""
        day = utc(entry.time).date().isoformat()
        expires = int((utc(entry.time) + timedelta(days=self.ttl_days)).timestamp())
        values: dict[str, Any] = {
            "pk": keys.audit_pk(day),
            "sk": entry.sort_key,
            "time": utc(entry.time).isoformat(),
            "request_id": entry.request_id,
            "by": entry.by,
            "role": entry.role,
            "action": entry.action,
            "detail": entry.detail,
            "expires_at": expires,
        }
        if entry.member_id is not None:
            values.update(
                member_id=entry.member_id,
                gsi1pk=keys.audit_member_pk(entry.member_id),
                gsi1sk=entry.sort_key,
            )
        marker = {"pk": keys.AUDIT_DAYS_PK, "sk": day, "expires_at": expires}
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": to_item(values)}},
                {"Put": {"TableName": self.table, "Item": to_item(marker)}},
            ]
        )

    def page(
        self, limit: int = 50, before: str | None = None
    ) -> tuple[list[AuditRecord], str | None]:
        """Entries newest first, older than the cursor `before`; the next cursor (None at
        the end)."""
        found: list[AuditRecord] = []
        for day in self._days(before[:10] if before else None):
            condition = "pk = :pk"
            values = {":pk": to_attr(keys.audit_pk(day))}
            if before and before[:10] == day:
                condition += " AND sk < :before"
                values[":before"] = to_attr(before)
            found.extend(self._query(limit - len(found), condition, values))
            if len(found) >= limit:
                return found, found[-1].sort_key
        return found, None

    def of_member(
        self, member_id: str, limit: int = 50, before: str | None = None
    ) -> tuple[list[AuditRecord], str | None]:
        """The entries naming one member, newest first (gsi1)."""
        condition = "gsi1pk = :pk"
        values = {":pk": to_attr(keys.audit_member_pk(member_id))}
        if before:
            condition += " AND gsi1sk < :before"
            values[":before"] = to_attr(before)
        found = self._query(limit, condition, values, index="gsi1")
        return found, (found[-1].sort_key if len(found) >= limit else None)

    def _days(self, until: str | None) -> Iterator[str]:
        """Days with entries, newest first, from `until` (inclusive) back: the day list
        read `DAY_PAGE` days at a time, only as far as the caller goes."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(keys.AUDIT_DAYS_PK)},
            "ScanIndexForward": False,
            "Limit": DAY_PAGE,
        }
        if until:
            kwargs["KeyConditionExpression"] += " AND sk <= :until"
            kwargs["ExpressionAttributeValues"][":until"] = to_attr(until)
        while True:
            response = self.client.query(**kwargs)
            for item in response.get("Items", []):
                yield str(item["sk"]["S"])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query(
        self, limit: int, condition: str, values: dict[str, Any], index: str | None = None
    ) -> list[AuditRecord]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if index:
            kwargs["IndexName"] = index
        found: list[AuditRecord] = []
        while len(found) < limit:
            response = self.client.query(**kwargs)
            found.extend(_record(from_item(i)) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            kwargs["Limit"] = limit - len(found)
        return found[:limit]


def _record(values: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        time=datetime.fromisoformat(str(values["time"])),
        request_id=str(values["request_id"]),
        by=str(values["by"]),
        role=str(values["role"]),
        action=str(values["action"]),
        member_id=values.get("member_id"),
        detail=dict(values.get("detail") or {}),
    )
