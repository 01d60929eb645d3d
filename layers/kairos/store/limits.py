"""The sender's shared counters in DynamoDB: send-rate windows and monthly quotas
(the sender's ports `RateCounters` and `MonthlyQuota`, kairos.delivery.ports).

Access patterns (see keys.py):
- rate window:   UpdateItem ADD on LIMIT#<endpoint>#<epoch second> / LIMIT, returns the
                 new count; TTL a few minutes after the second             (1 request)
- monthly quota: UpdateItem ADD on QUOTA#<channel>#<YYYY-MM> / QUOTA, returns the new
                 total and the `exhausted` flag; SET exhausted on LINE's answer (1 request)
Both are single-item atomic updates: concurrent senders never lose a count.
"""

from __future__ import annotations

from typing import Any

import boto3

from kairos.store import keys
from kairos.store.codec import to_attr

WINDOW_TTL_SECONDS = 300


class LimitStore:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")

    def take(self, endpoint: str, epoch_second: int, n: int, limit: int) -> int:
        response = self.client.update_item(
            TableName=self.table,
            Key={
                "pk": to_attr(keys.limit_pk(endpoint, epoch_second)),
                "sk": to_attr(keys.LIMIT_SK),
            },
            UpdateExpression="ADD #c :n SET expires_at = if_not_exists(expires_at, :ttl)",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={
                ":n": to_attr(n),
                ":ttl": to_attr(epoch_second + WINDOW_TTL_SECONDS),
            },
            ReturnValues="UPDATED_NEW",
        )
        count = int(response["Attributes"]["count"]["N"])
        # What was left before us, capped at what we asked for: never over-grants.
        return max(0, min(n, limit - (count - n)))

    def add(self, channel: str, month: str, n: int) -> tuple[int, bool]:
        response = self.client.update_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.quota_pk(channel, month)), "sk": to_attr(keys.QUOTA_SK)},
            UpdateExpression="ADD #c :n SET #m = :m",
            ExpressionAttributeNames={"#c": "count", "#m": "month"},
            ExpressionAttributeValues={":n": to_attr(n), ":m": to_attr(month)},
            ReturnValues="ALL_NEW",
        )
        attributes = response["Attributes"]
        exhausted = bool(attributes.get("exhausted", {}).get("BOOL", False))
        return int(attributes["count"]["N"]), exhausted

    def mark_exhausted(self, channel: str, month: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.quota_pk(channel, month)), "sk": to_attr(keys.QUOTA_SK)},
            UpdateExpression="SET exhausted = :t, #m = :m",
            ExpressionAttributeNames={"#m": "month"},
            ExpressionAttributeValues={":t": to_attr(True), ":m": to_attr(month)},
        )

    def quota(self, channel: str, month: str) -> tuple[int, bool]:
        """(messages counted, exhausted) for a month; for `kairos` commands and tests."""
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": to_attr(keys.quota_pk(channel, month)), "sk": to_attr(keys.QUOTA_SK)},
            ConsistentRead=True,
        )
        item = response.get("Item") or {}
        return int(item.get("count", {}).get("N", 0)), bool(
            item.get("exhausted", {}).get("BOOL", False)
        )
