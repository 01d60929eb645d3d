"""What the pure engine is given besides the journey: the member context its conditions
read (profile, trigger, event, `steps.<id>.*` engagement) and the runtime (settings,
template versions).

Engagement costs a read of the enrolment's deliveries, so it is read only for journey
versions whose text mentions `steps.` at all (decided once per version and process).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairos.engine import steps
from kairos.engine.derived import member_context
from kairos.engine.enrolment import Enrolment
from kairos.evaluator.ports import Engagement
from kairos.evaluator.publish import JourneyVersion, Versions
from kairos.models.member import Member
from kairos.project import Project
from kairos.store.records import DeliveryEngagement

NOT_FOUND = DeliveryEngagement(status=None)


class ContextBuilder:
    def __init__(self, project: Project, versions: Versions, engagement: Engagement) -> None:
        self.project = project
        self.versions = versions
        self.engagement = engagement
        self._reads_steps: dict[JourneyVersion, bool] = {}

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
        return member_context(
            member, self.project.settings, now, trigger=trigger, event=event, steps=engagement
        )

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
