"""The journey engine's records as the store reads and writes them: due-index timers, the
commit of one engine outcome, a delivery's engagement.

Plain typed values with no boto3, so the evaluator's ports (kairos.evaluator.ports) speak
them and never see a DynamoDB item; the adapters (enrolments.py, timers.py) turn them
into items and back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kairos.engine.enrolment import Enrolment
from kairos.models.member import Member


@dataclass(frozen=True)
class Timer:
    """A moment something must happen, as written to the due index."""

    timer_id: str
    """Deterministic (e.g. enrolment + step + visit), so writing it twice is harmless."""
    due_at: datetime
    kind: str
    """`step` (an enrolment's wait ends), `date` (a yearly date trigger), `schedule`
    (a cron trigger), `segment` (membership may change with time alone), `effects`
    (a committed step's sends and changes, replayed unless confirmed done)."""
    member_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    referenced: bool = False
    """Also noted in the member's own partition (`TIMER#<timer id>`), so erasing the
    member finds and cancels it by key: the member's timers that no enrolment names
    (`date`, `segment`). Step timers are located from their enrolment instead."""


@dataclass(frozen=True)
class DueTimer:
    """A timer read back from the due index, with where the index holds it: hand it back
    to consume it (`Commit.consumed`) or delete it. `pk`/`sk` belong to the store."""

    timer: Timer
    pk: str
    sk: str


@dataclass(frozen=True)
class StepCounter:
    """One funnel counter: a journey's step (or `-` for the journey as a whole)."""

    journey: str
    step: str
    name: str


@dataclass(frozen=True)
class SegmentMember:
    segment_id: str
    member_id: str


@dataclass(frozen=True)
class TimelineEntry:
    """What a journey did to a member (`journey.exited`, `journey.converted`, ...)."""

    member_id: str
    time: datetime
    entry_id: str
    kind: str
    data: dict[str, Any]


@dataclass
class Commit:
    """Everything one engine outcome writes, all or nothing."""

    enrolment: Enrolment | None = None
    expected_version: int | None = None
    """The stored version the write must find; None for a new enrolment."""
    timers: list[Timer] = field(default_factory=list)
    consumed: DueTimer | None = None
    segments: dict[SegmentMember, bool] = field(default_factory=dict)
    """Segment membership → in the segment now."""
    counters: Counter[StepCounter] = field(default_factory=Counter)
    """How many to add to each counter."""
    timeline: list[TimelineEntry] = field(default_factory=list)

    def empty(self) -> bool:
        return not (
            self.enrolment or self.timers or self.consumed or self.segments
            or self.counters or self.timeline
        )  # fmt: skip


@dataclass(frozen=True)
class DeliveryEngagement:
    """What became of one delivery, as `steps.<id>.*` conditions read it."""

    status: str | None
    """The sender's outcome (`sent`, `capped`, `failed`, ...)."""
    bounced: bool = False
    opened: bool = False
    clicked: bool = False


@dataclass(frozen=True)
class MemberEnrolment:
    """A due step's member and enrolment, read together (either may be gone)."""

    member: Member | None
    enrolment: Enrolment | None


ItemHandle = tuple[str, str]
"""An item of a member's partition as the store named it; opaque to its callers."""


@dataclass(frozen=True)
class MemberItems:
    """Everything under a member's own key (for an erasure or a merge): enough to find
    what lies elsewhere."""

    handles: tuple[ItemHandle, ...] = ()
    """Every item but the profile (timeline, orders, enrolments, frequency window)."""
    enrolments: tuple[Enrolment, ...] = ()
    delivery_ids: tuple[str, ...] = ()
    """Deliveries named by the member's `delivery.*` timeline entries."""
    timers: tuple[Timer, ...] = ()
    """Due timers the partition's `TIMER#` references name (date, segment recheck)."""
