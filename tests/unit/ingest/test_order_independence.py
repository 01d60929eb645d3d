"""State never depends on arrival order (ARCHITECTURE rule 6): any permutation of a
member's events, applied through the real ingest service and member store on the memory
backend, yields the same member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.store.members import MemberRepository
from kairos_dev.local.backends import MemoryBackend

ZONE = ZoneInfo("Asia/Taipei")
START = datetime(2026, 3, 1, tzinfo=UTC)
KEY = b"order-test-member-id-key"
MEMBER = {"line_user_id": "U-perm", "email": "perm@example.com"}


def _event(n: int, kind: str, minute: int, data: dict[str, Any]) -> CanonicalEvent:
    return CanonicalEvent(
        id=f"e-{n}",
        type=kind,
        time=START + timedelta(minutes=minute),
        member=MEMBER,  # type: ignore[arg-type]
        data=data,
    )


KINDS = st.sampled_from(
    [
        ("line.follow", {}),
        ("line.unfollow", {}),
        ("profile.updated", {"name": "Amy"}),
        ("profile.updated", {"name": "Bea", "region": "north"}),
        ("profile.updated", {"consent": {"email": True, "line": False}}),
        ("profile.updated", {"consent": {"email": False}}),
        ("tag.added", {"tag": "vip"}),
        ("tag.removed", {"tag": "vip"}),
        ("tag.added", {"tag": "new"}),
        ("email.bounced", {}),
        ("email.complained", {}),
        ("unsubscribed", {"channel": "email"}),
        ("order.created", {"order_id": "o1", "total": 100, "items": [{"sku": "A", "qty": 1}]}),
        ("order.created", {"order_id": "o2", "total": 250, "items": [{"sku": "B", "qty": 2}]}),
        ("order.cancelled", {"order_id": "o1"}),
        ("message.clicked", {}),
    ]
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[CanonicalEvent], list[CanonicalEvent]]:
    picked = draw(st.lists(st.tuples(KINDS, st.integers(0, 30)), min_size=1, max_size=10))
    events = [_event(n, kind, minute, data) for n, ((kind, data), minute) in enumerate(picked)]
    return events, draw(st.permutations(events))


def _member_after(events: list[CanonicalEvent]) -> dict[str, Any]:
    backend = MemoryBackend(lambda: START)
    tables = backend.create_tables("perm")
    repo = MemberRepository(tables["main"], backend.client("dynamodb"))
    [result, *_] = ingest(events, repo, START + timedelta(days=1), ZONE, member_id_key=KEY)
    member = repo.get(result.member_id)
    assert member is not None
    return member.model_dump(exclude={"version"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_any_permutation_of_a_members_events_gives_the_same_member(
    history: tuple[list[CanonicalEvent], list[CanonicalEvent]],
) -> None:
    events, shuffled = history
    assert _member_after(shuffled) == _member_after(events)


def test_an_older_follow_delivered_after_an_unfollow_does_not_refollow() -> None:
    follow = _event(1, "line.follow", 0, {})
    unfollow = _event(2, "line.unfollow", 10, {})
    member = _member_after([unfollow, follow])
    assert member["profile"]["line_following"] is False
    assert member["profile"]["joined_at"] == follow.time.isoformat()
    assert member["profile"]["last_interaction_at"] == unfollow.time.isoformat()


def test_a_cancellation_arriving_before_its_order_means_the_order_never_counts() -> None:
    order = _event(1, "order.created", 0, {"order_id": "o9", "total": 90})
    cancel = _event(2, "order.cancelled", 5, {"order_id": "o9"})
    member = _member_after([cancel, order])
    assert member["stats"]["order_count"] == 0 and member["stats"]["last_order_at"] is None
