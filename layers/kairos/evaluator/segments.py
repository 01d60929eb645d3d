"""Segment membership: who is in a segment now, kept as the member changes and as time
passes, and the segment's journeys started when a member enters.

A member event compares membership before and after it; a time-driven segment ("no
purchase for 90 days") also gets a recheck timer at the next moment membership could
change with time alone, so it needs no scan. Membership changes commit with the event's
other engine writes; journeys start only after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kairos.engine.enrolment import Enrolment
from kairos.engine.entry import entry_allowed
from kairos.engine.triggers import in_segment, segment_recheck_at, segment_trigger_event
from kairos.evaluator.commit import OutcomeWriter
from kairos.evaluator.context import ContextBuilder
from kairos.evaluator.ports import Commits, Enrolments, SegmentMembership
from kairos.evaluator.timer_kinds import segment_timer
from kairos.models.member import Member
from kairos.project import Project
from kairos.store.records import Commit, DueTimer, SegmentMember


class Segments:
    def __init__(
        self,
        project: Project,
        membership: SegmentMembership,
        store: Commits,
        enrolments: Enrolments,
        contexts: ContextBuilder,
        writer: OutcomeWriter,
    ) -> None:
        self.project = project
        self.membership = membership
        self.store = store
        self.enrolments = enrolments
        self.contexts = contexts
        self.writer = writer
        self.moved: Callable[[Member, str, bool, Mapping[str, Any], datetime], None] | None = None
        """Told when time alone moved a member in or out (rich menus follow: richmenus.py)."""

    def on_member_change(
        self,
        after: Member,
        before: Member | None,
        event: Mapping[str, Any],
        now: datetime,
        change: Commit,
    ) -> list[str]:
        """Membership changes and recheck timers go into `change`; returns the segments
        the member just entered."""
        if not self.project.segments:
            return []
        after_ctx = self.contexts.build(after, now, event=event)
        before_ctx = self.contexts.build(before, now, event=event) if before is not None else None
        tz = self.project.settings.zone
        entered: list[str] = []
        for segment in self.project.segments.values():
            was_in = before_ctx is not None and in_segment(segment, before_ctx, now)
            now_in = in_segment(segment, after_ctx, now)
            if was_in != now_in:
                change.segments[SegmentMember(segment.id, after.member_id)] = now_in
                if now_in:
                    entered.append(segment.id)
            recheck = segment_recheck_at(segment, after_ctx, now, tz)
            previous = (
                segment_recheck_at(segment, before_ctx, now, tz) if before_ctx is not None else None
            )
            if recheck is not None and recheck != previous:
                change.timers.append(segment_timer(segment.id, after.member_id, recheck))
        return entered

    def enter(
        self,
        segment_id: str,
        member: Member,
        cause: Mapping[str, Any] | None,
        enrolments: list[Enrolment],
        now: datetime,
    ) -> None:
        """The member just entered the segment: start its journeys that let them in."""
        segment = self.project.segments[segment_id]
        for journey in self.project.journeys_on_segment(segment_id):
            trigger = segment_trigger_event(segment, member.member_id, now, cause)
            history = [e for e in enrolments if e.journey == journey.id]
            ctx = self.contexts.build(member, now, event=trigger)
            if entry_allowed(journey, ctx, history, now):
                self.writer.start(
                    journey,
                    member,
                    trigger,
                    history,
                    now,
                    key=f"segment:{segment_id}:{trigger['id']}",
                )

    def on_recheck_due(self, due: DueTimer, member: Member | None, now: datetime) -> None:
        """Time alone may have moved the member in or out: compare, commit, recheck later."""
        segment = self.project.segments.get(due.timer.payload["segment"])
        if segment is None or member is None:
            self.store.commit(Commit(consumed=due))
            return
        ctx = self.contexts.build(member, now)
        inside = in_segment(segment, ctx, now)
        was_in = self.membership.in_segment(segment.id, member.member_id)
        change = Commit(consumed=due)
        if inside != was_in:
            change.segments[SegmentMember(segment.id, member.member_id)] = inside
        recheck = segment_recheck_at(segment, ctx, now, self.project.settings.zone)
        if recheck is not None and recheck > now:
            change.timers.append(segment_timer(segment.id, member.member_id, recheck))
        if not self.store.commit(change):
            return
        if inside != was_in and self.moved is not None:
            self.moved(member, segment.id, inside, ctx, now)
        if inside and not was_in:
            self.enter(segment.id, member, None, self.enrolments.enrolments(member.member_id), now)
