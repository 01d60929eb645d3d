"""The month's bill per journey: `MONTH#<YYYY-MM>` items in the journey's counter
partitions (`STATS#<journey>#e<shard>`, keys.py), atomic ADDs by the sender
(kairos.delivery.billing) and read by `kairos stats --cost` with one BatchGetItem of the
journey's shards.

Cost: one UpdateItem per journey and month a batch sent to (usually one), on a random
shard as the step counters; a read is one BatchGetItem of STATS_SHARDS keys per journey.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable
from typing import Any

from kairos.delivery.billing import MonthCounts
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr


def month_sk(month: str) -> str:
    """A journey's bill of one month (`YYYY-MM`, brand time zone) in each shard."""
    return f"MONTH#{month}"


class MonthCounterStore:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def count_months(self, counts: MonthCounts) -> None:
        for (journey, month), fields in counts.items():
            values = {name: n for name, n in fields.items() if n}
            if not values:
                continue
            names = {f"#f{i}": name for i, name in enumerate(values)}
            attrs = {f":v{i}": to_attr(n) for i, n in enumerate(values.values())}
            shard = secrets.randbelow(keys.STATS_SHARDS)
            self.client.update_item(
                TableName=self.table,
                Key={
                    "pk": to_attr(keys.stats_pk(journey, shard)),
                    "sk": to_attr(month_sk(month)),
                },
                UpdateExpression="ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(values))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attrs,
            )

    def month(self, journeys: Iterable[str], month: str) -> dict[str, dict[str, int]]:
        """Journey → its counts in `month` (journeys without any are left out)."""
        out: dict[str, dict[str, int]] = {}
        for journey in journeys:
            found = batch_get(
                self.client,
                self.table,
                [(keys.stats_pk(journey, s), month_sk(month)) for s in range(keys.STATS_SHARDS)],
            )
            totals: Counter[str] = Counter()
            for item in found.values():
                for name, value in from_item(item).items():
                    if name not in ("pk", "sk"):
                        totals[name] += int(value)
            if totals:
                out[journey] = dict(totals)
        return out
