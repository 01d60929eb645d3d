"""Runs as a whole: the same input gives the same deliveries (SPEC §7), and a journey
edited while members are in it lets them finish on the version they started on (SPEC §4).

The edit is tested one level below the simulator — one `simulate` run loads the project
once, like one deployment — by two evaluators over the same store: the deployment
before the change and the one after it, exactly as a redeploy swaps the function code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kairos.evaluator import Evaluator
from kairos.ingest.service import ingest
from kairos.models.events import CanonicalEvent
from kairos.models.send_group import Outgoing
from kairos.models.send_request import SendRequest
from kairos.project import load_project
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos_dev.local.stack import DevSecrets, LocalStack
from tests.e2e.journey_builder import BrandProject, at, event

KEY = DevSecrets.from_env().member_id_key.encode()


def test_same_input_same_deliveries(tmp_path: Path) -> None:
    # Given a journey with a split, a wait, quiet hours and a cap, and a few members
    project = BrandProject(
        tmp_path,
        quiet_hours={"start": "21:00", "end": "09:00"},
        frequency_cap={"max": 2, "per": {"days": 7}},
    )
    for name in ("a", "b", "again"):
        project.template(name, line=f"{name} {{{{ profile.name or '' }}}}", email=name)
    project.journey("""
        id: mixed
        trigger: {event: line.follow}
        steps:
          - id: pick
            split:
              - {weight: 50, goto: a}
              - {weight: 50, goto: b}
          - {id: a, send: {channel: auto, template: a}, next: wait}
          - {id: b, send: {channel: line, template: b, fallback: [email]}, next: wait}
          - {id: wait, wait: {hours: 11}}
          - {id: again, send: {channel: auto, template: again}}
          - {id: again-2, send: {channel: auto, template: again}}
    """)
    events = [
        *[
            event("line.follow", f"2026-03-02T{10 + n}:00", f"U-{n}", {"unblocked": False})
            for n in range(6)
        ],
        event("profile.updated", "2026-03-02T09:00", "U-2", {"name": "Mei"}),
        event("line.unfollow", "2026-03-02T14:30", {"line_user_id": "U-3"}),
    ]

    # When it runs twice
    first = project.simulate(events, until="2026-03-05")
    second = project.simulate(events, until="2026-03-05")

    # Then: identical, attempt for attempt (and there is something to compare)
    assert [d.as_json() for d in first.deliveries] == [d.as_json() for d in second.deliveries]
    assert len(first.deliveries) == 18
    assert {d.status for d in first.deliveries} >= {"sent", "capped", "unreachable"}


@dataclass
class CapturedQueues:
    sent: list[tuple[SendRequest, datetime]] = field(default_factory=list)

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        self.sent.append((request, now))

    def send_many(self, outgoing: Sequence[Outgoing]) -> set[str]:
        failed = set()
        for item in outgoing:
            try:
                self.send(item.request, item.queue, item.now)
            except Exception:
                failed.add(item.request.delivery_id)
        return failed


@dataclass
class Deployment:
    """One deployment of the evaluator for a project directory, on a shared store."""

    evaluator: Evaluator
    members: MemberRepository

    @classmethod
    def of(cls, project_dir: Path, stack: LocalStack, queues: CapturedQueues) -> Deployment:
        project = load_project(str(project_dir))
        table = stack.tables["main"]
        members = MemberRepository(table)

        def apply_change(event: CanonicalEvent, now: datetime) -> None:
            ingest([event], members, now, project.settings.zone, member_id_key=KEY)

        evaluator = Evaluator(project, EngineStore(table), members, queues, apply_change)
        evaluator.publish()
        return cls(evaluator, members)

    def event(self, raw: dict[str, Any]) -> None:
        """The webhook applies the event, then the stream hands it to the evaluator."""
        canonical = CanonicalEvent.model_validate(raw)
        now = datetime.fromisoformat(raw["time"])
        [result] = ingest(
            [canonical],
            self.members,
            now,
            self.evaluator.project.settings.zone,
            member_id_key=KEY,
        )
        after = self.members.get(result.member_id)
        assert after is not None
        self.evaluator.on_member_change(after, None, canonical.model_dump(mode="json"), now)

    def tick(self, when: str) -> None:
        self.evaluator.on_tick(datetime.fromisoformat(at(when)))


def test_a_journey_edited_mid_flight(tmp_path: Path, stack: LocalStack) -> None:
    # Given version 1: remind three days after the trigger with the old template
    project = BrandProject(tmp_path)
    project.template("old", line="old")
    project.template("new", line="new")
    v1 = """
        id: care
        trigger: {event: t.care}
        steps:
          - {id: wait, wait: {days: 3}}
          - {id: remind, send: {channel: line, template: old}}
    """
    project.journey(v1)
    queues = CapturedQueues()
    before = Deployment.of(project.root, stack, queues)
    before.event(event("t.care", "2026-03-02T10:00", "U-old"))

    # When the journey is edited (one day, the new template) and deployed while U-old
    # waits, and a second member enters after the change
    project.journey(v1.replace("days: 3", "days: 1").replace("template: old", "template: new"))
    after = Deployment.of(project.root, stack, queues)
    assert after.evaluator.project.journeys["care"].version != (
        before.evaluator.project.journeys["care"].version
    )
    after.event(event("t.care", "2026-03-02T11:00", "U-new"))
    after.tick("2026-03-03T11:00")
    sent_after_one_day = [(r.template, r.journey_version) for r, _ in queues.sent]
    after.tick("2026-03-05T10:00")

    # Then: U-old finishes on version 1 (three days, old template), U-new runs version 2
    v1_version = before.evaluator.project.journeys["care"].version
    v2_version = after.evaluator.project.journeys["care"].version
    assert sent_after_one_day == [("new", v2_version)]
    assert [(r.template, r.journey_version, when) for r, when in queues.sent] == [
        ("new", v2_version, datetime.fromisoformat(at("2026-03-03T11:00"))),
        ("old", v1_version, datetime.fromisoformat(at("2026-03-05T10:00"))),
    ]


@dataclass
class FlakyQueues(CapturedQueues):
    """Refuses the first `failures` sends, like a throttled SQS."""

    failures: int = 1

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("queue throttled")
        super().send(request, queue, now)


def _greeting_brand(tmp_path: Path) -> BrandProject:
    """A journey that greets at once: one send right after the trigger."""
    project = BrandProject(tmp_path)
    project.template("hello", line="hello")
    project.journey("""
        id: greet
        trigger: {event: t.greet}
        steps:
          - {id: hello, send: {channel: line, template: hello}}
    """)
    return project


def test_a_send_that_cannot_be_queued_is_retried_not_lost(
    tmp_path: Path, stack: LocalStack
) -> None:
    # Given a journey that sends at once, and a queue that refuses the first attempt
    project = _greeting_brand(tmp_path)
    queues = FlakyQueues()
    deployment = Deployment.of(project.root, stack, queues)

    # When the member enters: the step commits but its send is refused
    deployment.event(event("t.greet", "2026-03-02T10:00", "U-flaky"))
    assert queues.sent == []

    # Then the next tick after a minute queues it, with the same delivery id, once
    deployment.tick("2026-03-02T10:02")
    deployment.tick("2026-03-02T10:05")
    assert [(r.step, r.member_id != "") for r, _ in queues.sent] == [("hello", True)]


@dataclass
class CrashingQueues(CapturedQueues):
    """The function dies (no exception it could catch) while queuing the first send."""

    crashed: bool = False

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        if not self.crashed:
            self.crashed = True
            raise SystemExit("function killed")
        super().send(request, queue, now)


def test_a_step_committed_just_before_a_crash_still_sends(
    tmp_path: Path, stack: LocalStack
) -> None:
    # Given a journey that sends at once
    project = _greeting_brand(tmp_path)
    queues = CrashingQueues()
    deployment = Deployment.of(project.root, stack, queues)

    # When the function dies after committing the step, before queuing its send
    with pytest.raises(SystemExit):
        deployment.event(event("t.greet", "2026-03-02T10:00", "U-crash"))
    assert queues.sent == []

    # Then the guard timer written with the step replays the send two minutes later
    deployment.tick("2026-03-02T10:01")
    assert queues.sent == []
    deployment.tick("2026-03-02T10:02")
    deployment.tick("2026-03-02T10:10")
    assert [r.step for r, _ in queues.sent] == ["hello"]
