"""A member's history for the console: timeline pages filtered by kind, with bounded reads.

Key pattern: the member's timeline, `MEMBER#<member_id>` / `TL#<iso time>#<entry id>`
(keys.py). A page is a Query of that partition newest first, older than the cursor,
optionally filtered on the entry's `kind` (a FilterExpression: DynamoDB reads the
entries it skips). So a page never reads the whole history: it stops after `limit`
matching entries or `MAX_READS` Queries of `READ_PAGE` entries each, whichever comes
first, and answers with the cursor where it stopped (a sparse kind in a long history
takes a few pages, each cheap).

Request costs: 1 Query per `READ_PAGE` entries read, at most `MAX_READS` a page
(unfiltered: 1 Query for up to `limit` entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kairos.store.codec import from_item, to_attr
from kairos.store.timeline import newest_first, timeline_page

READ_PAGE = 200
"""Entries DynamoDB evaluates per Query of a filtered page."""
MAX_READS = 5
"""Queries a filtered page may make before it answers with what it found."""


@dataclass(frozen=True)
class KindFilter:
    """Which entries a page keeps: kinds starting with one of `prefixes`, equal to one
    of `kinds`, or (`by`) recorded with a `data.by` (a staff change)."""

    prefixes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    by: bool = False

    def matches(self, kind: str) -> bool:
        """Whether an entry of this kind is kept (`by` is the entry's data, not its kind)."""
        return kind.startswith(self.prefixes) or kind in self.kinds

    def expression(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        terms: list[str] = []
        values: dict[str, Any] = {}
        for n, prefix in enumerate(self.prefixes):
            terms.append(f"begins_with(#kind, :p{n})")
            values[f":p{n}"] = to_attr(prefix)
        for n, kind in enumerate(self.kinds):
            terms.append(f"#kind = :k{n}")
            values[f":k{n}"] = to_attr(kind)
        names = {"#kind": "kind"}
        if self.by:
            terms.append("attribute_exists(#data.#by)")
            names.update({"#data": "data", "#by": "by"})
        return " OR ".join(terms), values, names


class HistoryReads:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def page(
        self,
        member_id: str,
        limit: int,
        before: str | None = None,
        only: KindFilter | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Entries newest first (plain dicts: `kind`, `time`, `entry_id`, `data`) older
        than the cursor `before` (a timeline sort key); and the next cursor, None at
        the end of the history."""
        if only is None:
            return timeline_page(self.client, self.table, member_id, limit, before)
        kwargs = newest_first(self.table, member_id, before)
        condition, values, names = only.expression()
        kwargs["FilterExpression"] = condition
        kwargs["ExpressionAttributeValues"].update(values)
        kwargs["ExpressionAttributeNames"] = names
        found: list[dict[str, Any]] = []
        for _ in range(MAX_READS):
            kwargs["Limit"] = READ_PAGE
            response = self.client.query(**kwargs)
            for item in response.get("Items", []):
                found.append(from_item(item))
                if len(found) == limit:
                    return found, str(item["sk"]["S"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return found, None
            kwargs["ExclusiveStartKey"] = last
        return found, str(kwargs["ExclusiveStartKey"]["sk"]["S"])
