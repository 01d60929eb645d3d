"""The evaluator as its handler sees it: one object built from the project and the
store, with the entry points the stream, the schedule and deployments call.

It only wires the services (publish, context, commit, segments, stream, timers) to the
ports they need and delegates; the algorithms live in those modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kairos.evaluator.commit import OutcomeWriter
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.ports import ChangeSink, EvaluatorStore, Members, SendQueues
from kairos.evaluator.publish import Versions
from kairos.evaluator.richmenus import MenuFollower, MenuLinkQueue
from kairos.evaluator.segments import Segments
from kairos.evaluator.stream import StreamReactions
from kairos.evaluator.timers import TickReport, TimerHandlers
from kairos.models.member import Member
from kairos.project import Project


@dataclass
class Evaluator:
    project: Project
    store: EvaluatorStore
    members: Members
    queues: SendQueues
    apply_change: ChangeSink
    menu_links: MenuLinkQueue | None = None
    """Where rich menu links go (the LINE queue); None: menus are not linked."""
    versions: Versions = field(init=False)
    menus: MenuFollower = field(init=False)
    stream: StreamReactions = field(init=False)
    timers: TimerHandlers = field(init=False)
    writer: OutcomeWriter = field(init=False)

    def __post_init__(self) -> None:
        store = self.store
        self.versions = Versions(self.project, store)
        contexts = ContextBuilder(self.project, self.versions, store, store)
        writer = self.writer = OutcomeWriter(
            self.project, store, store, store.due, contexts, self.queues, self.apply_change
        )
        segments = Segments(self.project, store, store, store, contexts, writer)
        self.menus = MenuFollower(self.project, contexts, self.menu_links)
        segments.moved = self.menus.on_segment_moved
        self.stream = StreamReactions(
            self.project, store, store, store, self.versions, contexts, writer, segments
        )
        self.timers = TimerHandlers(
            self.project, store, store.due, store, store, self.members,
            self.versions, contexts, writer, segments,
        )  # fmt: skip

    def publish(self) -> None:
        """This deployment's journeys, templates and settings as immutable versions."""
        self.versions.publish()

    def on_member_change(
        self, after: Member, before: Member | None, event: dict[str, Any], now: datetime
    ) -> None:
        """A stream record: `event` was applied to the member (`before` → `after`)."""
        self.stream.on_member_change(after, before, event, now)
        self.menus.on_member_change(after, before, event, now)

    def ensure_schedules(self, now: datetime) -> None:
        self.timers.ensure_schedules(now)

    @contextmanager
    def sends_together(self) -> Iterator[None]:
        """The sends of everything evaluated in this block go out together when it
        ends: a step many members reach at once travels as group messages."""
        with self.writer.sends_together(), self.menus.together():
            yield

    def on_tick(self, now: datetime) -> TickReport:
        """The schedule: process every timer due at `now` (their sends together)."""
        with self.writer.sends_together(), self.menus.together():
            return self.timers.on_tick(now)
