"""The search indexes never depend on arrival order either: any permutation of a
member's renames and late events leaves the same name and joined entries, the ones its
final profile names (kairos.store.search_index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.store.members import MemberRepository
from kairos.store.search_index import entry_keys
from kairos_dev.local.backends import MemoryBackend

ZONE = ZoneInfo("Asia/Taipei")
START = datetime(2026, 3, 1, tzinfo=UTC)
KEY = b"order-test-member-id-key"
MEMBER = {"line_user_id": "U-perm", "email": "perm@example.com"}

KINDS = st.sampled_from(
    [
        ("profile.updated", {"name": "陳小美"}),
        ("profile.updated", {"name": "陳美"}),
        ("profile.updated", {"name": "Amy\x00 Chen"}),
        ("profile.updated", {"line_display_name": "Mei 🌸"}),
        ("profile.updated", {"line_display_name": "陳小美"}),
        ("tag.added", {"tag": "vip"}),
        ("line.follow", {}),
    ]
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[CanonicalEvent], list[CanonicalEvent]]:
    picked = draw(st.lists(st.tuples(KINDS, st.integers(-30, 30)), min_size=1, max_size=8))
    events = [
        CanonicalEvent(
            id=f"e-{n}",
            type=kind,
            time=START + timedelta(minutes=minute),
            member=MEMBER,  # type: ignore[arg-type]
            data=data,
        )
        for n, ((kind, data), minute) in enumerate(picked)
    ]
    return events, draw(st.permutations(events))


def _entries_after(events: list[CanonicalEvent]) -> tuple[set[tuple[str, str]], Any]:
    backend = MemoryBackend(lambda: START)
    tables = backend.create_tables("perm")
    client = backend.client("dynamodb")
    repo = MemberRepository(tables["main"], client)
    [result, *_] = ingest(events, repo, START + timedelta(days=1), ZONE, member_id_key=KEY)
    items = client.scan(TableName=tables["main"])["Items"]
    found = {
        (i["pk"]["S"], i["sk"]["S"]) for i in items if i["pk"]["S"].startswith(("NAME#", "JOINED#"))
    }
    member = repo.get(result.member_id)
    assert member is not None
    return found, set(entry_keys(member))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_any_permutation_leaves_the_entries_of_the_final_profile(
    history: tuple[list[CanonicalEvent], list[CanonicalEvent]],
) -> None:
    events, shuffled = history
    in_order, final = _entries_after(events)
    assert in_order == final
    assert _entries_after(shuffled)[0] == in_order
