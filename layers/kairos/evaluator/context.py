"""What the pure engine is given besides the journey: the member context its conditions
read (profile, trigger, event, `steps.<id>.*` engagement) and the runtime (settings,
template versions).

Engagement costs a read of the enrolment's deliveries, so it is read only for journey
versions whose text mentions `steps.` at all (decided once per version and process).

`{segment: ID}` is answered from the segment index, lazily: one consistent GetItem of
`SEGMENT#<id>` / `MEMBER#<member>` the first time a condition asks about that segment,
remembered for the rest of the context (none when no condition asks). While a member
change is being reacted to, the segment moves that change causes (not yet committed)
are answered first (`pending_segments`), so a journey sees the member's segments as
they are *after* the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from kairos.engine import steps
from kairos.engine.conditions import SEGMENTS
from kairos.engine.derived import member_context
from kairos.engine.enrolment import Enrolment
from kairos.evaluator.ports import Engagement, SegmentMembership
from kairos.evaluator.publish import JourneyVersion, Versions
from kairos.models.member import Member
from kairos.project import Project
from kairos.store.records import DeliveryEngagement

NOT_FOUND = DeliveryEngagement(status=None)


class SegmentAnswers:
    """A member's segments as `{segment: ID}` asks them: known answers first (moves of
    the change being reacted to), else one GetItem of the index, remembered."""

    def __init__(
        self, membership: SegmentMembership, member_id: str, known: Mapping[str, bool]
    ) -> None:
        self.membership = membership
        self.member_id = member_id
        self.answers = dict(known)

    def __contains__(self, segment_id: object) -> bool:
        if not isinstance(segment_id, str):
            return False
        if segment_id not in self.answers:
            self.answers[segment_id] = self.membership.in_segment(segment_id, self.member_id)
        return self.answers[segment_id]


class ContextBuilder:
    def __init__(
        self,
        project: Project,
        versions: Versions,
        engagement: Engagement,
        membership: SegmentMembership,
    ) -> None:
        self.project = project
        self.versions = versions
        self.engagement = engagement
        self.membership = membership
        self._reads_steps: dict[JourneyVersion, bool] = {}
        self._pending: dict[str, SegmentAnswers] = {}

    @contextmanager
    def pending_segments(self, member_id: str, moves: Mapping[str, bool]) -> Iterator[None]:
        """Within this block, contexts of the member answer `{segment: ID}` with `moves`
        (segment → in after the change) before the index, and share index answers."""
        outer = self._pending.get(member_id)
        self._pending[member_id] = SegmentAnswers(self.membership, member_id, moves)
        try:
            yield
        finally:
            # A journey's own member change may be reacted to inside this block (local
            # runtimes deliver the stream synchronously): restore the outer answers.
            if outer is None:
                del self._pending[member_id]
            else:
                self._pending[member_id] = outer

    @property
    def runtime(self) -> steps.Runtime:
        return steps.Runtime(self.project.settings, self.project.template_versions)

    def build(
        self,
        member: Member,
        now: datetime,
        enrolment: Enrolment | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The member context: for an enrolment (its trigger, its sends' engagement) or
        for a journey's entry (the event is the trigger)."""
        trigger = enrolment.trigger if enrolment is not None else event
        engagement = self._step_engagement(enrolment) if enrolment is not None else {}
        context = member_context(
            member, self.project.settings, now, trigger=trigger, event=event, steps=engagement
        )
        answers = self._pending.get(member.member_id)
        if answers is None:
            answers = SegmentAnswers(self.membership, member.member_id, {})
        context[SEGMENTS] = answers
        return context

    def _reads_engagement(self, enrolment: Enrolment) -> bool:
        """Does this journey version look at `steps.<id>.*`? Only then read deliveries."""
        key = JourneyVersion.of(enrolment)
        if key not in self._reads_steps:
            journey = self.versions.journey_for(enrolment)
            text = journey.journey.model_dump_json() if journey is not None else ""
            self._reads_steps[key] = '"steps.' in text
        return self._reads_steps[key]

    def _step_engagement(self, enrolment: Enrolment) -> dict[str, dict[str, Any]]:
        if not enrolment.sends or not self._reads_engagement(enrolment):
            return {}
        records = self.engagement.deliveries(enrolment.sends.values())
        found: dict[str, dict[str, Any]] = {}
        for step_id, delivery_id in enrolment.sends.items():
            record = records.get(delivery_id, NOT_FOUND)
            sent = record.status == "sent"
            found[step_id] = {
                "sent": sent,
                # LINE and SMS accept or refuse at once; email counts until it bounces.
                "delivered": sent and not record.bounced,
                "opened": record.opened,
                "clicked": record.clicked,
            }
        return found
