"""The store operations the evaluator needs, in domain terms: one small Protocol per
concern, so each service asks only for what it uses and a test can hand in a fake.

`kairos.store` implements them on DynamoDB (`EngineStore` and its `DueIndex`,
`MemberRepository`, `SendQueues`). What crosses them is typed — enrolments, members,
`Timer` / `DueTimer`, `Commit`, `DeliveryEngagement`, member ids — never a DynamoDB
item. Step counters and segment membership changes have no port of their own: they
ride in a `Commit`, all or nothing with the outcome that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from kairos.engine.enrolment import Enrolment
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.models.send_group import Outgoing
from kairos.models.send_request import SendRequest
from kairos.store.records import Commit, DeliveryEngagement, DueTimer, MemberEnrolment, Timer


class Enrolments(Protocol):
    """A member's enrolments (one Query), or a due step's member and enrolment (one
    BatchGetItem)."""

    def enrolments(self, member_id: str) -> list[Enrolment]: ...

    def member_and_enrolment(
        self, member_id: str, journey_id: str, enrolment_id: str
    ) -> MemberEnrolment: ...


class Commits(Protocol):
    def commit(self, change: Commit) -> bool:
        """Write one outcome all or nothing; False when a condition failed (the
        enrolment moved on, the trigger already enrolled, another tick took the timer)."""
        ...


class JourneyVersions(Protocol):
    """Immutable published versions (`kind`: journey, template, settings)."""

    def publish(
        self, kind: str, item_id: str, version: str, definition: dict[str, Any]
    ) -> None: ...

    def published(self, kind: str, item_id: str, version: str) -> dict[str, Any] | None: ...


class Engagement(Protocol):
    """Deliveries as journeys see them: read for `steps.<id>.*`, marked by opens and clicks."""

    def deliveries(self, delivery_ids: Iterable[str]) -> Mapping[str, DeliveryEngagement]: ...

    def mark_engagement(
        self, delivery_id: str, kind: str, at: str, counted_for: tuple[str, str] | None = None
    ) -> bool:
        """True the first time this kind is marked on a known delivery; the first also
        adds 1 to `kind` on the (journey, step) `counted_for`, atomically."""
        ...


class SegmentMembership(Protocol):
    def segment_members(self, segment_id: str) -> Iterable[str]: ...

    def in_segment(self, segment_id: str, member_id: str) -> bool: ...


class DueIndex(Protocol):
    """The time-bucketed due index as the scheduler walks it (kairos.store.timers)."""

    def cursor(self) -> str | None: ...

    def set_cursor(self, bucket: str) -> None: ...

    def buckets_to_visit(self, start: str | None, now: datetime) -> list[str]: ...

    def due(self, bucket: str, now: datetime) -> list[DueTimer]: ...

    def locate(self, timer: Timer) -> DueTimer: ...

    def delete(self, due: DueTimer) -> bool: ...


class EvaluatorStore(Enrolments, Commits, JourneyVersions, Engagement, SegmentMembership, Protocol):
    """Every store port in one object, with its due index: how the evaluator is wired."""

    @property
    def due(self) -> DueIndex: ...


class SendQueues(Protocol):
    def send(self, request: SendRequest, queue: str, now: datetime) -> None: ...

    def send_many(self, outgoing: Sequence[Outgoing]) -> set[str]:
        """Many requests in as few messages as the queue allows (requests of one step
        go as group messages); returns the delivery ids that are not on a queue."""
        ...


class Members(Protocol):
    def get(self, member_id: str) -> Member | None: ...


class ChangeSink(Protocol):
    """Applies a journey-made member change as an event (tags, sets)."""

    def __call__(self, event: CanonicalEvent, now: datetime) -> None: ...
