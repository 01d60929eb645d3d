"""LINE's unit statistics per journey step, beside the step's counters: one item per
step, `STATS#<journey>#e0` / `LINE#<step>` (keys.py), overwritten by each read (they are
LINE's aggregates of the last 14 days, not increments). `kairos stats` reads a
journey's with one Query of the first shard (`begins_with(sk, "LINE#")`)."""

from __future__ import annotations

from typing import Any

from kairos.store import keys
from kairos.store.codec import from_item, to_attr, to_item

LINE_SK_PREFIX = "LINE#"


def line_sk(step: str) -> str:
    return f"{LINE_SK_PREFIX}{step}"


class LineUnitStore:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def put_unit_stats(self, journey: str, step: str, stats: dict[str, Any]) -> None:
        item = {k: v for k, v in stats.items() if v is not None}
        hidden = sorted(k for k, v in stats.items() if v is None)
        self.client.put_item(
            TableName=self.table,
            Item=to_item(
                {"pk": keys.stats_pk(journey, 0), "sk": line_sk(step), **item, "hidden": hidden}
            ),
        )

    def unit_stats(self, journey: str) -> dict[str, dict[str, Any]]:
        """Step → `opened`, `clicked` (None: LINE hid it), `from`, `to`, `read_at`."""
        answer = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={
                ":pk": to_attr(keys.stats_pk(journey, 0)),
                ":p": to_attr(LINE_SK_PREFIX),
            },
        )
        out: dict[str, dict[str, Any]] = {}
        for item in answer.get("Items", []):
            values = from_item(item)
            step = str(values.pop("sk")).removeprefix(LINE_SK_PREFIX)
            values.pop("pk", None)
            for name in values.pop("hidden", None) or []:
                values[str(name)] = None
            for name in ("opened", "clicked"):
                if values.get(name) is not None:
                    values[name] = int(values[name])
            out[step] = values
        return out
