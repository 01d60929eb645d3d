"""Reactions to a member change (the table's stream: an event was applied to a member).

In order: the event's engagement (an open or click) is marked on its delivery (the
first of each reported per journey step, kairos.step_counters); the segment moves the
change causes are worked out (not yet written), so that `{segment: ID}` below answers
as after the change; each live enrolment sees the event (goals end it as a
conversion, an awaited `wait_for` moves it on); journeys triggered by this event type
start when their rules allow; segment membership and date-trigger timers follow the
change in one commit, then journeys of the segments just entered start.

Cost: O(the member's enrolments + journeys triggered by this event type + segments),
never O(members).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairos import step_counters
from kairos.engine import advance
from kairos.engine.enrolment import Enrolment
from kairos.engine.entry import should_enrol
from kairos.engine.paths import value_at
from kairos.engine.triggers import next_date_fire_for
from kairos.evaluator.commit import OutcomeWriter
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.ports import Commits, Engagement, Enrolments
from kairos.evaluator.publish import Versions
from kairos.evaluator.segments import Segments
from kairos.evaluator.timer_kinds import date_timer
from kairos.models.member import Member
from kairos.project import Project
from kairos.store.records import Commit

ENGAGEMENT = {
    "email.opened": "opened",
    "email.clicked": "clicked",
    "message.clicked": "clicked",
    "email.bounced": "bounced",
}
"""Engagement event type → what it marks on the delivery."""

COUNTED = ("opened", "clicked")
"""Engagement the dashboard counts per journey step (the first of each per delivery)."""


class StreamReactions:
    def __init__(
        self,
        project: Project,
        store: Commits,
        enrolments: Enrolments,
        engagement: Engagement,
        versions: Versions,
        contexts: ContextBuilder,
        writer: OutcomeWriter,
        segments: Segments,
    ) -> None:
        self.project = project
        self.store = store
        self.enrolments = enrolments
        self.engagement = engagement
        self.versions = versions
        self.contexts = contexts
        self.writer = writer
        self.segments = segments

    def on_member_change(
        self, after: Member, before: Member | None, event: dict[str, Any], now: datetime
    ) -> None:
        enrolments = self.enrolments.enrolments(after.member_id)
        self._record_engagement(event, enrolments)
        # Segment moves are worked out first so that `{segment: ID}` in the conditions
        # below sees the member's segments after this change; they commit further down.
        change = Commit()
        entered = self.segments.on_member_change(after, before, event, now, change)
        moves = {
            at.segment_id: inside
            for at, inside in change.segments.items()
            if at.member_id == after.member_id
        }
        with self.writer.replying(event, now):
            with self.contexts.pending_segments(after.member_id, moves):
                self._react(after, event, enrolments, now)
            self._date_timers(after, before, now, change)
            if not change.empty():
                self.store.commit(change)
            for segment_id in entered:
                self.segments.enter(segment_id, after, event, enrolments, now)

    def _react(
        self, after: Member, event: dict[str, Any], enrolments: list[Enrolment], now: datetime
    ) -> None:
        """Live enrolments see the event; journeys it triggers start when allowed."""
        for enrolment in enrolments:
            if enrolment.ended:
                continue
            journey = self.versions.journey_for(enrolment)
            if journey is None:
                continue
            ctx = self.contexts.build(after, now, enrolment, event)
            outcome = advance.on_event(enrolment, journey, ctx, event, now, self.contexts.runtime)
            self.writer.apply(outcome, after, now)
        entry_ctx = self.contexts.build(after, now, event=event)
        for journey in self.project.journeys_on_event(str(event.get("type"))):
            history = [e for e in enrolments if e.journey == journey.id]
            if should_enrol(journey, entry_ctx, event, history, now):
                self.writer.start(journey, after, event, history, now)

    def _record_engagement(self, event: Mapping[str, Any], enrolments: list[Enrolment]) -> None:
        kind = ENGAGEMENT.get(str(event.get("type")))
        data = event.get("data") or {}
        if kind is None or not isinstance(data, Mapping):
            return
        delivery_id = data.get("delivery_id")
        if delivery_id is None and data.get("journey") and data.get("step"):
            # No delivery id: the latest send of that journey step to this member.
            candidates = [
                e for e in enrolments if e.journey == data["journey"] and data["step"] in e.sends
            ]
            if candidates:
                latest = max(candidates, key=lambda e: e.entered_at)
                delivery_id = latest.sends[data["step"]]
        if not delivery_id:
            return
        sent_by = _step_of(str(delivery_id), enrolments)
        # The first of each per delivery counts in the step's funnel (`kairos stats`)
        # and on the dashboard; the delivery record keeps its time (`steps.<id>.opened`).
        counted = sent_by if kind in COUNTED else None
        first = self.engagement.mark_engagement(
            str(delivery_id), kind, str(event.get("time")), counted
        )
        if first and counted is not None:
            step_counters.report({counted: {kind: 1}})

    def _date_timers(
        self, after: Member, before: Member | None, now: datetime, change: Commit
    ) -> None:
        """A date field set or changed: the date journey's next firing for this member."""
        tz = self.project.settings.zone
        after_ctx = self.contexts.build(after, now)
        before_ctx = self.contexts.build(before, now) if before is not None else None
        for journey in self.project.journeys.values():
            date = journey.journey.trigger.date
            if date is None:
                continue
            value = value_at(date.field, after_ctx)
            previous = value_at(date.field, before_ctx) if before_ctx is not None else None
            if value is None or (before_ctx is not None and value == previous):
                continue
            fire = next_date_fire_for(journey, after_ctx, now, tz)
            if fire is not None:
                change.timers.append(date_timer(journey.id, after.member_id, fire))


def _step_of(delivery_id: str, enrolments: list[Enrolment]) -> tuple[str, str] | None:
    """The journey step that sent this delivery to the member, if one of theirs did."""
    for enrolment in enrolments:
        for step, sent in enrolment.sends.items():
            if sent == delivery_id:
                return enrolment.journey, step
    return None
