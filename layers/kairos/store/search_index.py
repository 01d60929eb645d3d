"""The console's search indexes in DynamoDB: members by the start of a name, and members
newest joined first; the adapter of kairos.console.search.SearchIndex.

Key patterns (keys.py, docs/data-model.md):
- name entry:   `NAME#<first character of the key>` / `<name key>#<member_id>`, one per
  distinct key of the profile's `name` and `line_display_name` (kairos.models.names:
  NFKC, folded, at most 40 characters, so an entry stays under 300 bytes);
- joined entry: `JOINED#<shard>` / `<joined_at, UTC, fixed width>#<member_id>`, one per
  member, in `JOINED_SHARDS` partitions picked by the member id, so a burst of new
  members (an import) spreads its writes while a page still reads a known, small number
  of partitions (a partition per month would leave readers walking empty months).
Both are written in the profile's own transaction, only when a name or `joined_at`
changes (ingest: kairos.store.members; a merge's KEEP: kairos.store.merging), and removed
with the member (kairos.store.erasure): no request of their own.

Reads (no scans):
- identifiers:   BatchGetItem of the candidate aliases and profiles     (1 request)
- name prefix:   Query `NAME#<c>` begins_with(sk, key), Limit+1, paged   (1 request)
- newest:        Query each `JOINED#<n>` newest first, Limit+1, merged (JOINED_SHARDS)
Backfill for members written before the indexes (`kairos members reindex-search`, run by
a person once): a full read of the profiles, then per member one TransactWriteItems of
its entries with a ConditionCheck on the profile's `version`, so a member an event
changed meanwhile is read again instead of indexed under a stale name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from kairos.models.member import Member
from kairos.models.names import member_name_keys
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import to_attr, to_item
from kairos.store.member_index import read_profile

ItemKey = tuple[str, str]

JOINED_SHARDS = 8
"""Writes spread over this many partitions (8,000 write units a second together); the
newest-first list reads them all, one Query each, per page."""

NAME_PK_PREFIX = "NAME#"
JOINED_PK_PREFIX = "JOINED#"


def name_pk(key: str) -> str:
    """The partition of every name key starting with the key's first character."""
    return f"{NAME_PK_PREFIX}{key[0]}"


def name_sk(key: str, member_id: str) -> str:
    return f"{key}#{member_id}"


def joined_shard(member_id: str) -> int:
    return int(hashlib.sha256(member_id.encode()).hexdigest()[:8], 16) % JOINED_SHARDS


def joined_pk(shard: int) -> str:
    return f"{JOINED_PK_PREFIX}{shard}"


def joined_sk(joined_at: datetime, member_id: str) -> str:
    """Fixed-width UTC time first, so sort-key order is joining order."""
    when = joined_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{when}#{member_id}"


def _joined_at(member: Member) -> datetime | None:
    raw = member.profile.get("joined_at")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return member.created_at


def entry_keys(member: Member) -> list[ItemKey]:
    """Every search index entry the member has as this profile stands."""
    found = [
        (name_pk(key), name_sk(key, member.member_id)) for key in member_name_keys(member.profile)
    ]
    joined = _joined_at(member)
    if joined is not None:
        found.append(
            (joined_pk(joined_shard(member.member_id)), joined_sk(joined, member.member_id))
        )
    return found


def index_changes(table: str, member: Member, before: Member | None) -> list[dict[str, Any]]:
    """Transaction items moving the member's entries from `before` to `member`: nothing
    when neither a name nor `joined_at` changed (the usual event)."""
    had = set(entry_keys(before)) if before is not None else set()
    has = entry_keys(member)
    changes: list[dict[str, Any]] = []
    for pk, sk in has:
        if (pk, sk) not in had:
            item = {"pk": pk, "sk": sk, "member_id": member.member_id}
            changes.append({"Put": {"TableName": table, "Item": to_item(item)}})
    for pk, sk in sorted(had - set(has)):
        key = {"pk": to_attr(pk), "sk": to_attr(sk)}
        changes.append({"Delete": {"TableName": table, "Key": key}})
    return changes


class SearchReads:
    """The search reads of `MemberRepository` (kairos.store.members supplies `table`
    and `client`)."""

    table: str
    client: Any

    def scan_members(self) -> Iterator[Member]:
        """Every profile (kairos.store.member_index supplies it)."""
        raise NotImplementedError

    def reindex_search(self) -> int:
        """Write every member's name and joined entries (see the module); the number of
        members indexed. Entries an older profile left are not looked for: run it once,
        on members the indexes never saw."""
        done = 0
        for member in self.scan_members():
            current: Member | None = member
            while current is not None and not self._index_at(current):
                current = read_profile(self.client, self.table, current.member_id)
            done += current is not None
        return done

    def _index_at(self, member: Member) -> bool:
        check = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": {
                    "pk": to_attr(keys.member_pk(member.member_id)),
                    "sk": to_attr(keys.PROFILE_SK),
                },
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": to_attr(member.version)},
            }
        }
        puts = [
            {"Put": {"TableName": self.table, "Item": to_item(
                {"pk": pk, "sk": sk, "member_id": member.member_id})}}
            for pk, sk in entry_keys(member)
        ]  # fmt: skip
        if not puts:
            return True
        try:
            self.client.transact_write_items(TransactItems=[check, *puts])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def holders(
        self, identifiers: Sequence[tuple[str, str]], member_ids: Sequence[str]
    ) -> list[str]:
        alias_keys = [(keys.alias_pk(kind, value), "ALIAS") for kind, value in identifiers]
        profile_keys = [(keys.member_pk(m), keys.PROFILE_SK) for m in member_ids]
        found = batch_get(self.client, self.table, [*alias_keys, *profile_keys])
        owners = [found[k]["member_id"]["S"] for k in alias_keys if k in found]
        owners += [m for m, k in zip(member_ids, profile_keys, strict=True) if k in found]
        return list(dict.fromkeys(str(o) for o in owners))

    def name_prefix(
        self, prefix: str, *, limit: int, after: str | None
    ) -> tuple[list[str], str | None]:
        pk = name_pk(prefix)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": to_attr(pk), ":p": to_attr(prefix)},
            "Limit": limit + 1,
        }
        if after:
            kwargs["ExclusiveStartKey"] = {"pk": to_attr(pk), "sk": to_attr(after)}
        rows = [
            (str(i["sk"]["S"]), str(i["member_id"]["S"]))
            for i in self.client.query(**kwargs).get("Items", [])
        ]
        page = rows[:limit]
        return [m for _, m in page], (page[-1][0] if len(rows) > limit else None)

    def newest(self, *, limit: int, before: str | None) -> tuple[list[str], str | None]:
        rows: list[tuple[str, str]] = []
        for shard in range(JOINED_SHARDS):
            values: dict[str, Any] = {":pk": to_attr(joined_pk(shard))}
            condition = "pk = :pk"
            if before:
                condition += " AND sk < :before"
                values[":before"] = to_attr(before)
            response = self.client.query(
                TableName=self.table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=limit + 1,
            )
            rows += [(str(i["sk"]["S"]), str(i["member_id"]["S"])) for i in response["Items"]]
        rows.sort(reverse=True)
        page = rows[:limit]
        return [m for _, m in page], (page[-1][0] if len(rows) > limit else None)
