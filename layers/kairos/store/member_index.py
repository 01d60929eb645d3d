"""Members by tag or segment, from the indexes (never a scan, but for the two deliberate
full reads at the end): a page of member ids at a time, their profiles in BatchGetItems.

- members with a tag:   Query TAG#<tag>#<shard> for each shard in turn, paged (cursor
  `<shard>|<sk>`); the tag index is written in the event's transaction
- members in a segment: Query SEGMENT#<id>, paged (cursor: the last sk); the segment
  index is kept by the evaluator
- their profiles:       BatchGetItem, 100 keys a request

A mixin of `MemberRepository` (kairos.store.members), which supplies `table` and
`client`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kairos.models.member import Member
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr, to_item


def member_from_item(item: dict[str, Any]) -> Member:
    return Member.model_validate(from_item(item))


def read_profile(client: Any, table: str, member_id: str) -> Member | None:
    """A member's profile, read consistently (one GetItem `MEMBER#<id>` / `PROFILE`);
    None when there is none."""
    item = client.get_item(
        TableName=table,
        Key={"pk": to_attr(keys.member_pk(member_id)), "sk": to_attr(keys.PROFILE_SK)},
        ConsistentRead=True,
    ).get("Item")
    return member_from_item(item) if item else None


class MemberIndexReads:
    """The index reads of `MemberRepository`."""

    table: str
    client: Any

    def tagged(
        self, tag: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        """Member ids with `tag` from the tag index, a page at a time: shard by shard,
        member id order within one. `cursor` is the previous page's `<shard>|<sk>`."""
        shard, after = (0, None)
        if cursor:
            head, _, tail = cursor.partition("|")
            shard, after = int(head), tail or None
        found: list[str] = []
        while shard < keys.TAG_SHARDS and len(found) < limit:
            pk = keys.tag_pk(tag, shard)
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": to_attr(pk)},
                "Limit": limit - len(found),
            }
            if after:
                kwargs["ExclusiveStartKey"] = {"pk": to_attr(pk), "sk": to_attr(after)}
            response = self.client.query(**kwargs)
            found.extend(keys.member_id_from_pk(i["sk"]["S"]) for i in response["Items"])
            last = response.get("LastEvaluatedKey")
            if last:
                after = str(last["sk"]["S"])
                if len(found) >= limit:
                    return found, f"{shard}|{after}"
            else:
                shard, after = shard + 1, None
        return found, (f"{shard}|" if shard < keys.TAG_SHARDS else None)

    def segmented(
        self, segment_id: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        """Member ids in the segment from the segment index, a page at a time in member
        id order. `cursor` is the previous page's last key (`MEMBER#<id>`)."""
        pk = keys.segment_pk(segment_id)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(pk)},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = {"pk": to_attr(pk), "sk": to_attr(cursor)}
        found: list[str] = []
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            response = self.client.query(**kwargs)
            found.extend(keys.member_id_from_pk(i["sk"]["S"]) for i in response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return found, None
            kwargs["ExclusiveStartKey"] = last
        return found, keys.member_pk(found[-1])

    def profiles(self, member_ids: list[str]) -> list[Member]:
        """These members' profiles in the given order (absent ones left out): one
        BatchGetItem per 100 ids."""
        found = batch_get(
            self.client, self.table, [(keys.member_pk(m), keys.PROFILE_SK) for m in member_ids]
        )
        items = (found.get((keys.member_pk(m), keys.PROFILE_SK)) for m in member_ids)
        return [member_from_item(item) for item in items if item]

    def tagged_members(self, tag: str, page: int = 100) -> Iterator[Member]:
        """Every member with `tag`: the tag index a page at a time, each page's profiles
        in one BatchGetItem (an export by tag, no scan)."""
        cursor: str | None = None
        while True:
            ids, cursor = self.tagged(tag, page, cursor)
            yield from self.profiles(ids)
            if cursor is None:
                return

    def segment_members(self, segment_id: str, page: int = 100) -> Iterator[Member]:
        """Every member in the segment, from the segment index (no scan)."""
        cursor: str | None = None
        while True:
            ids, cursor = self.segmented(segment_id, page, cursor)
            yield from self.profiles(ids)
            if cursor is None:
                return

    def reindex_tags(self) -> int:
        """Write the tag index entry of every tag of every member (idempotent Puts), for
        members tagged before the index existed. A full-table read, like `scan_members`:
        `kairos members reindex-tags`, run by a person once; the number of entries."""
        written = 0
        for member in self.scan_members():
            shard = keys.tag_shard(member.member_id)
            sk = keys.member_pk(member.member_id)
            for tag in member.tags:
                item = {"pk": keys.tag_pk(tag, shard), "sk": sk, "member_id": member.member_id}
                self.client.put_item(TableName=self.table, Item=to_item(item))
                written += 1
        return written

    def scan_members(self) -> Iterator[Member]:
        """Every member profile. A full-table read for `kairos members export`, run by a
        person: never called from a function."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "sk = :profile",
            "ExpressionAttributeValues": {":profile": to_attr(keys.PROFILE_SK)},
        }
        while True:
            response = self.client.scan(**kwargs)
            for item in response.get("Items", []):
                yield member_from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
