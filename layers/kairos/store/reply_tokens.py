"""Reply tokens the sender took (ports.ReplyTokens): `REPLY#<hash>` / `REPLY` (keys.py),
written once with `attribute_not_exists(pk)` just before the reply call, so a retry (or
another batch holding the same event's other sends) knows the token was taken and by
whom — the answer LINE itself gives a second use ("Invalid reply token") is the same as
for an expired token. One conditional PutItem per reply, the earlier item read back with
`ReturnValuesOnConditionCheckFailure`; one UpdateItem when LINE sent nothing. TTL a day
(a token is dead after its minute)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.delivery.ports import EarlierTake
from kairos.store import keys
from kairos.store.codec import from_item, to_attr, to_item

KEPT = timedelta(days=1)


class ReplyTokenStore:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def _key(self, token: str) -> dict[str, Any]:
        return {"pk": to_attr(keys.reply_pk(token)), "sk": to_attr(keys.REPLY_SK)}

    def take(self, token: str, delivery_ids: Sequence[str], now: datetime) -> EarlierTake | None:
        item = {
            "pk": keys.reply_pk(token),
            "sk": keys.REPLY_SK,
            "delivery_ids": sorted(delivery_ids),
            "state": "taken",
            "taken_at": utc(now).isoformat(),
            "expires_at": int((utc(now) + KEPT).timestamp()),
        }
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
        if not old:
            old = self.client.get_item(
                TableName=self.table, Key=self._key(token), ConsistentRead=True
            ).get("Item")
        values = from_item(old) if old else {}
        ids = frozenset(str(d) for d in values.get("delivery_ids") or [])
        return EarlierTake(ids, "unsent" if values.get("state") == "unsent" else "taken")

    def unsent(self, token: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=self._key(token),
            UpdateExpression="SET #s = :u",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":u": to_attr("unsent")},
        )
