"""Due timers by kind, on in-memory fakes of the evaluator's ports: every timer is
consumed by its kind's handler, and a timer whose handler fails holds the cursor back so
the next tick retries it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kairos.clock import hour_bucket
from kairos.engine.enrolment import Enrolment
from kairos.evaluator import Evaluator
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.models.send_group import Outgoing
from kairos.models.send_request import SendRequest
from kairos.project import load_project
from kairos.store.records import Commit, DeliveryEngagement, DueTimer, MemberEnrolment, Timer
from tests.e2e.journey_builder import BrandProject

NOW = datetime.fromisoformat("2026-03-02T10:00:00+00:00")


@dataclass
class FakeDueIndex:
    timers: list[DueTimer] = field(default_factory=list)
    stored_cursor: str | None = None
    deleted: list[DueTimer] = field(default_factory=list)

    def cursor(self) -> str | None:
        return self.stored_cursor

    def set_cursor(self, bucket: str) -> None:
        self.stored_cursor = max(bucket, self.stored_cursor or bucket)

    def buckets_to_visit(self, start: str | None, now: datetime) -> list[str]:
        return sorted({hour_bucket(d.timer.due_at) for d in self.timers} | {hour_bucket(now)})

    def due(self, bucket: str, now: datetime) -> list[DueTimer]:
        return [
            d
            for d in self.timers
            if hour_bucket(d.timer.due_at) == bucket and d.timer.due_at <= now
        ]

    def locate(self, timer: Timer) -> DueTimer:
        return DueTimer(timer, f"DUE#{hour_bucket(timer.due_at)}", timer.timer_id)

    def delete(self, due: DueTimer) -> bool:
        self.deleted.append(due)
        return True


@dataclass
class FakeStore:
    due: FakeDueIndex = field(default_factory=FakeDueIndex)
    commits: list[Commit] = field(default_factory=list)

    def enrolments(self, member_id: str) -> list[Enrolment]:
        return []

    def member_and_enrolment(
        self, member_id: str, journey_id: str, enrolment_id: str
    ) -> MemberEnrolment:
        return MemberEnrolment(None, None)

    def commit(self, change: Commit) -> bool:
        self.commits.append(change)
        return True

    def publish(self, kind: str, item_id: str, version: str, definition: dict[str, Any]) -> None:
        pass

    def published(self, kind: str, item_id: str, version: str) -> dict[str, Any] | None:
        return None

    def deliveries(self, delivery_ids: Iterable[str]) -> dict[str, DeliveryEngagement]:
        return {}

    def mark_engagement(
        self, delivery_id: str, kind: str, at: str, counted_for: tuple[str, str] | None = None
    ) -> bool:
        return False

    def segment_members(self, segment_id: str) -> list[str]:
        return []

    def in_segment(self, segment_id: str, member_id: str) -> bool:
        return False


class UnreachableMembers:
    """A member table that times out."""

    def get(self, member_id: str) -> Member | None:
        raise TimeoutError("member table unreachable")


class NoQueues:
    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        raise AssertionError("nothing should be sent")

    def send_many(self, outgoing: Sequence[Outgoing]) -> set[str]:
        failed = set()
        for item in outgoing:
            try:
                self.send(item.request, item.queue, item.now)
            except Exception:
                failed.add(item.request.delivery_id)
        return failed


def no_changes(event: CanonicalEvent, now: datetime) -> None:
    raise AssertionError("nothing should change a member")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def evaluator(tmp_path: Path, store: FakeStore) -> Evaluator:
    project = BrandProject(tmp_path)
    project.template("hello", line="hello")
    project.journey("""
        id: greet
        trigger: {event: t.greet}
        steps:
          - {id: hello, send: {channel: line, template: hello}}
    """)
    return Evaluator(
        load_project(str(project.root)), store, UnreachableMembers(), NoQueues(), no_changes
    )


def due(kind: str, member_id: str | None = None, **payload: Any) -> DueTimer:
    at = datetime.fromisoformat("2026-03-02T09:30:00+00:00")
    timer = Timer(f"{kind}:t", at, kind, member_id, payload)
    return DueTimer(timer, f"DUE#{hour_bucket(timer.due_at)}", timer.timer_id)


def test_a_step_whose_enrolment_is_gone_is_consumed(evaluator: Evaluator, store: FakeStore) -> None:
    # Given a due step timer whose enrolment no longer exists
    timer = due("step", "m-1", journey="greet", enrolment_id="en-gone")
    store.due.timers.append(timer)
    # When the tick runs
    report = evaluator.on_tick(NOW)
    # Then the timer is consumed, alone, and the cursor reaches now's hour
    assert (report.timers, report.failed) == (1, 0)
    assert [(c.consumed, c.enrolment, c.timers) for c in store.commits] == [(timer, None, [])]
    assert store.due.stored_cursor == hour_bucket(NOW)


def test_an_unknown_kind_is_consumed_without_failing_the_tick(
    evaluator: Evaluator, store: FakeStore
) -> None:
    timer = due("retired-kind", "m-1")
    store.due.timers.append(timer)
    report = evaluator.on_tick(NOW)
    assert (report.timers, report.failed) == (1, 0)
    assert [c.consumed for c in store.commits] == [timer]


def test_a_failing_timer_holds_the_cursor_back_for_the_next_tick(
    evaluator: Evaluator, store: FakeStore
) -> None:
    # Given a date timer whose member cannot be read right now, a bucket before now's
    timer = due("date", "m-1", journey="greet")
    store.due.timers.append(timer)
    # When the tick runs an hour later
    report = evaluator.on_tick(datetime.fromisoformat("2026-03-02T10:30:00+00:00"))
    # Then it counts as failed, is not consumed, and the cursor stays on its bucket
    assert (report.timers, report.failed) == (1, 1)
    assert store.commits == []
    assert store.due.stored_cursor == hour_bucket(timer.timer.due_at)
