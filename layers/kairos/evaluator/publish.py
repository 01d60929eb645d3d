"""Journey versions: each deployment publishes its journeys, templates and settings as
immutable versions, and an enrolment finishes on the journey version it started on —
the deployed one, or an older one read back from the store (compiled once per process).
"""

from __future__ import annotations

from dataclasses import dataclass

from kairos.engine.compiled import CompiledJourney, compile_journey
from kairos.engine.enrolment import Enrolment
from kairos.evaluator.ports import JourneyVersions
from kairos.models.journey import Journey
from kairos.observability import logger
from kairos.project import Project, content_version


@dataclass(frozen=True)
class JourneyVersion:
    journey: str
    version: str

    @classmethod
    def of(cls, enrolment: Enrolment) -> JourneyVersion:
        return cls(enrolment.journey, enrolment.journey_version)


class Versions:
    def __init__(self, project: Project, store: JourneyVersions) -> None:
        self.project = project
        self.store = store
        self._compiled: dict[JourneyVersion, CompiledJourney] = {}

    def publish(self) -> None:
        """Store this deployment's journeys, templates and settings as immutable versions,
        so enrolments started on an older version finish on it."""
        for journey in self.project.journeys.values():
            definition = journey.journey.model_dump(mode="json", by_alias=True, exclude_none=True)
            self.store.publish("journey", journey.id, journey.version, definition)
        for template_id, template in self.project.templates.items():
            version = self.project.template_versions[template_id]
            self.store.publish(
                "template",
                template_id,
                version,
                template.model_dump(mode="json", exclude_none=True),
            )
        settings = self.project.settings.model_dump(mode="json", by_alias=True)
        self.store.publish("settings", "brand", content_version(settings), settings)

    def journey_for(self, enrolment: Enrolment) -> CompiledJourney | None:
        """The journey version this enrolment runs on; None if it is gone or no longer
        compiles (the enrolment cannot go on)."""
        current = self.project.journeys.get(enrolment.journey)
        if current is not None and current.version == enrolment.journey_version:
            return current
        key = JourneyVersion.of(enrolment)
        if key not in self._compiled:
            definition = self.store.published("journey", key.journey, key.version)
            if definition is None:
                return None
            compiled, problems = compile_journey(
                Journey.model_validate(definition), enrolment.journey_version
            )
            if problems:
                logger.error(
                    "published journey no longer compiles",
                    extra={"journey": key.journey, "version": key.version},
                )
                return None
            self._compiled[key] = compiled
        return self._compiled[key]
