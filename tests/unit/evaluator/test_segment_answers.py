"""`{segment: ID}` as the evaluator answers it (kairos.evaluator.context): from the
segment index, read lazily and once per segment, with the moves of the change being
reacted to answered first — the request cost docs/data-model.md states."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kairos.engine.condition_compiler import compile_condition
from kairos.engine.paths import Scope
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.publish import Versions
from kairos.project import load_project
from tests.unit.engine.helpers import member, t

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = t("2026-06-01T10:00:00")
SCOPE = Scope(segments=frozenset({"vip", "dormant"}))


class Index:
    """The segment index with a read counter (what a GetItem would cost)."""

    def __init__(self, members: Iterable[tuple[str, str]]) -> None:
        self.members = set(members)
        self.reads: list[tuple[str, str]] = []

    def in_segment(self, segment_id: str, member_id: str) -> bool:
        self.reads.append((segment_id, member_id))
        return (segment_id, member_id) in self.members

    def segment_members(self, segment_id: str) -> Iterable[str]:
        return [m for s, m in self.members if s == segment_id]


def builder(index: Index) -> ContextBuilder:
    project = load_project(EXAMPLES)
    return ContextBuilder(project, Versions(project, None), None, index)  # type: ignore[arg-type]


def test_answers_are_read_lazily_once_per_segment_and_context() -> None:
    index = Index([("vip", "m-1")])
    contexts = builder(index)
    vip = compile_condition({"segment": "vip"}, SCOPE)
    either = compile_condition({"any": [{"segment": "vip"}, {"segment": "dormant"}]}, SCOPE)
    ctx = contexts.build(member("m-1"), NOW)
    assert index.reads == []  # nothing asked, nothing read
    assert vip.holds(ctx, NOW) and either.holds(ctx, NOW) and vip.holds(ctx, NOW)
    assert index.reads == [("vip", "m-1")]  # `any` stopped at vip; vip read once
    other = contexts.build(member("m-2"), NOW)
    assert not either.holds(other, NOW)
    assert index.reads[1:] == [("vip", "m-2"), ("dormant", "m-2")]


def test_the_change_being_reacted_to_is_answered_first_and_shared() -> None:
    index = Index([("dormant", "m-1")])
    contexts = builder(index)
    vip = compile_condition({"segment": "vip"}, SCOPE)
    dormant = compile_condition({"segment": "dormant"}, SCOPE)
    # The order just made m-1 a VIP and woke them from dormancy: not committed yet
    with contexts.pending_segments("m-1", {"vip": True, "dormant": False}):
        for _ in range(3):  # every context of m-1 built while reacting
            ctx = contexts.build(member("m-1"), NOW)
            assert vip.holds(ctx, NOW) and not dormant.holds(ctx, NOW)
        assert index.reads == []
        # another member is not affected by m-1's change
        assert dormant.holds(contexts.build(member("m-3"), NOW), NOW) is False
    assert index.reads == [("dormant", "m-3")]
    # after the block, m-1's contexts read the index again
    after = contexts.build(member("m-1"), NOW)
    assert dormant.holds(after, NOW) and not vip.holds(after, NOW)
