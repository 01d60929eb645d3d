"""The tag index on both backends: kept in the profile's own transaction as tags change,
paged across its shards, never a scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kairos.ingest.service import apply_event
from kairos.models.events import CanonicalEvent
from kairos.store import keys
from kairos.store.members import MemberRepository
from tests.contract.conftest import Side

ZONE = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KEY = b"contract-member-id-key"


def tag_event(n: int, kind: str, email: str, tag: str, minutes: int = 0) -> CanonicalEvent:
    return CanonicalEvent.model_validate(
        {
            "id": f"{kind}-{email}-{n}",
            "type": kind,
            "time": (NOW + timedelta(minutes=minutes)).isoformat(),
            "member": {"email": email},
            "data": {"tag": tag},
        }
    )


def test_tag_index_follows_the_profile_and_pages(side: Side) -> None:
    members = MemberRepository(side.table, side.client("dynamodb"))
    emails = [f"m{n}@example.com" for n in range(23)]
    ids = {
        apply_event(
            tag_event(n, "tag.added", e, "vip"), members, NOW, ZONE, member_id_key=KEY
        ).member_id
        for n, e in enumerate(emails)
    }
    removed = apply_event(
        tag_event(99, "tag.removed", emails[0], "vip", minutes=5), members, NOW, ZONE,
        member_id_key=KEY,
    ).member_id  # fmt: skip
    # A redelivered (older) add does not put the member back: the profile decides.
    apply_event(tag_event(98, "tag.added", emails[0], "vip", minutes=1), members, NOW, ZONE,
                member_id_key=KEY)  # fmt: skip
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page, cursor = members.tagged("vip", limit=5, cursor=cursor)
        pages.append(page)
        if cursor is None:
            break
    listed = [m for page in pages for m in page]
    assert sorted(listed) == sorted(ids - {removed})
    assert all(len(page) <= 5 for page in pages) and len(pages) >= 5
    used = {keys.tag_shard(m) for m in listed}
    assert len(used) > 1  # spread over shards
    assert members.tagged("nobody-has-this") == ([], None)


def test_reindex_puts_back_what_the_index_lacks(side: Side) -> None:
    members = MemberRepository(side.table, side.client("dynamodb"))
    who = apply_event(tag_event(1, "tag.added", "old@example.com", "legacy"), members, NOW, ZONE,
                      member_id_key=KEY).member_id  # fmt: skip
    # As if tagged before the index existed: its entry is missing.
    side.client("dynamodb").delete_item(
        TableName=side.table,
        Key={"pk": {"S": keys.tag_pk("legacy", keys.tag_shard(who))}, "sk": {"S": f"MEMBER#{who}"}},
    )
    assert members.tagged("legacy") == ([], None)
    assert members.reindex_tags() == 1
    assert members.tagged("legacy") == ([who], None)
    assert members.reindex_tags() == 1 and members.tagged("legacy") == ([who], None)
