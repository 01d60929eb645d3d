"""What the evaluator costs in DynamoDB requests: an event is O(the member's enrolments),
a due step is one read, one transaction and the Delete of its guard (docs/data-model.md).

Counted at the botocore layer on the one client the stores share, so every request is
seen — the due-index queries and the cursor included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


@dataclass
class CapturedQueues:
    sent: list[SendRequest] = field(default_factory=list)

    def send(self, request: SendRequest, queue: str, now: datetime) -> None:
        self.sent.append(request)

    def send_many(self, outgoing: Sequence[Outgoing]) -> set[str]:
        failed = set()
        for item in outgoing:
            try:
                self.send(item.request, item.queue, item.now)
            except Exception:
                failed.add(item.request.delivery_id)
        return failed


@dataclass
class Rig:
    evaluator: Evaluator
    members: MemberRepository
    queues: CapturedQueues
    requests: list[str]

    def event(self, raw: dict[str, Any]) -> list[str]:
        """The webhook applies the event, then the stream hands it to the evaluator: the
        evaluator's requests only."""
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
        self.requests.clear()
        self.evaluator.on_member_change(after, None, canonical.model_dump(mode="json"), now)
        return list(self.requests)

    def tick(self, when: str) -> list[str]:
        self.requests.clear()
        self.evaluator.on_tick(datetime.fromisoformat(at(when)))
        return list(self.requests)


@pytest.fixture
def rig(tmp_path: Path, stack: LocalStack) -> Iterator[Rig]:
    project = BrandProject(tmp_path)
    project.template("remind", line="remind")
    project.journey("""
        id: care
        trigger: {event: t.care}
        steps:
          - {id: wait, wait: {days: 1}}
          - {id: remind, send: {channel: line, template: remind}}
    """)
    loaded = load_project(str(project.root))
    client = stack.client("dynamodb")
    requests: list[str] = []

    def count(model: Any, **_: Any) -> None:
        requests.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)
    members = MemberRepository(stack.tables["main"], client)

    def apply_change(event: CanonicalEvent, now: datetime) -> None:
        ingest([event], members, now, loaded.settings.zone, member_id_key=KEY)

    queues = CapturedQueues()
    store = EngineStore(stack.tables["main"], client)
    evaluator = Evaluator(loaded, store, members, queues, apply_change)
    evaluator.publish()
    yield Rig(evaluator, members, queues, requests)
    client.meta.events.unregister("before-call.dynamodb", count)


def test_an_event_that_enrols_costs_a_query_and_a_transaction(rig: Rig) -> None:
    # Given a journey triggered by t.care, When a member's t.care event is evaluated
    requests = rig.event(event("t.care", "2026-03-02T10:00", "U-1"))
    # Then: the member's enrolments (Query), then the new enrolment and its wait timer
    assert requests == ["Query", "TransactWriteItems"]


def test_an_event_no_journey_wants_costs_one_query(rig: Rig) -> None:
    assert rig.event(event("t.other", "2026-03-02T10:00", "U-1")) == ["Query"]


def test_a_due_step_costs_a_read_a_transaction_and_its_guard_delete(rig: Rig) -> None:
    # Given a member waiting a day, and a tick that already found the cursor
    rig.event(event("t.care", "2026-03-02T10:00", "U-1"))
    rig.tick("2026-03-02T10:01")
    # When the wait ends (same hour bucket as the cursor)
    requests = rig.tick("2026-03-03T10:00")
    # Then: the cursor; the hours since it, from the day directories (a day is more
    # than two hours: both days' and March's legacy one in one BatchGetItem); the due
    # hour's four shards; the step — member and enrolment in one BatchGetItem, one
    # transaction; the cursor; then the tick's sends go out together and the guard's
    # Delete follows once the send is queued
    assert requests == [
        "GetItem",
        "BatchGetItem",
        *["Query"] * 4,
        "BatchGetItem",
        "TransactWriteItems",
        "PutItem",
        "DeleteItem",
    ]
    assert [r.step for r in rig.queues.sent] == ["remind"]


def test_a_tick_with_nothing_due_only_walks_the_index(rig: Rig) -> None:
    rig.tick("2026-03-02T10:01")
    requests = rig.tick("2026-03-02T10:02")
    # The cursor, four shard queries of the current hour, the cursor again
    assert requests == ["GetItem", *["Query"] * 4, "PutItem"]
