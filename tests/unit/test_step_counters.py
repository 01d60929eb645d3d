"""Journey step counters reach the dashboard (ARCHITECTURE rule 5): whoever decides an
increment (the evaluator's outcome commit, the sender's batch, a first open or click)
logs one `step counters` line per journey step with ids and counts only, and publishes
them as metrics with `journey`/`step` dimensions only with `kairos:metrics=detailed`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from typing import Any, cast

import pytest

from kairos import metric_names, step_counters
from kairos.delivery.model import Outcome, Status
from kairos.delivery.recording import Recorder, Results
from kairos.engine.effects import Counter
from kairos.engine.enrolment import Enrolment
from kairos.engine.steps import Outcome as EngineOutcome
from kairos.evaluator.commit import OutcomeWriter
from kairos.evaluator.stream import StreamReactions
from kairos.models.member import Member
from kairos.observability import logger
from kairos.store.records import Commit
from tests.unit.delivery.fakes import MemoryDeliveries

NOW = datetime.fromisoformat("2026-03-02T10:00:00+00:00")
_PLAIN = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def info(caplog: pytest.LogCaptureFixture) -> None:
    """Capture INFO lines even after another test quietened the functions' logger."""
    caplog.set_level(logging.INFO, logger=logger.name)


def step_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The `step counters` lines logged, as their extra keys."""
    return [
        {k: v for k, v in r.__dict__.items() if k not in _PLAIN}
        for r in caplog.records
        if r.getMessage() == metric_names.STEP_COUNTERS_LOG
    ]


def test_one_line_per_journey_step_with_what_it_added(caplog: pytest.LogCaptureFixture) -> None:
    info(caplog)
    step_counters.report(
        {
            ("welcome", "hello"): {"entered": 1, "requested": 1, "else": 0},
            ("welcome", "-"): {"entered": 1},
            ("winback", "-"): {"exited": 0},
        }
    )
    assert step_lines(caplog) == [
        {"journey": "welcome", "step": "-", "entered": 1},
        {"journey": "welcome", "step": "hello", "entered": 1, "requested": 1},
    ]


# ---- the evaluator: one line per step of each committed outcome ----------------------


class Commits:
    def __init__(self, wins: bool) -> None:
        self.wins = wins
        self.commits: list[Commit] = []

    def commit(self, change: Commit) -> bool:
        self.commits.append(change)
        return self.wins


def entering(journey: str = "welcome") -> EngineOutcome:
    enrolment = Enrolment(
        id="en-1", journey=journey, journey_version="v1", member_id="m-1", entered_at=NOW,
        step="wait", version=1, updated_at=NOW,
    )  # fmt: skip
    effects: list[Any] = [
        Counter(journey=journey, step=None, name="entered"),
        Counter(journey=journey, step="wait", name="entered"),
    ]
    return EngineOutcome(enrolment, effects, changed=True)


def writer(store: Commits) -> OutcomeWriter:
    unused = cast(Any, None)
    return OutcomeWriter(unused, cast(Any, store), unused, unused, unused, unused, unused)


def test_a_committed_outcome_logs_its_counters(caplog: pytest.LogCaptureFixture) -> None:
    info(caplog)
    store = Commits(wins=True)
    assert writer(store).apply(entering(), Member(member_id="m-1"), NOW, new=True)
    assert [dict(c.counters) for c in store.commits] != [{}]
    assert step_lines(caplog) == [
        {"journey": "welcome", "step": "-", "entered": 1},
        {"journey": "welcome", "step": "wait", "entered": 1},
    ]


def test_a_superseded_outcome_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    # Another evaluation moved the enrolment first: its counters were never written
    info(caplog)
    assert not writer(Commits(wins=False)).apply(entering(), Member(member_id="m-1"), NOW)
    assert step_lines(caplog) == []


# ---- the sender: one line per step of each batch, fresh outcomes only ------------------


class Allowance:
    def settle(self, used: int) -> None:
        pass


def delivered(delivery_id: str, step: str, status: Status) -> Outcome:
    return Outcome(
        delivery_id=delivery_id, member_id=f"m-{delivery_id}", journey="welcome", step=step,
        template="hello", enrolment_id="en-1", status=status, time=NOW,
        channel="line" if status == "sent" else None,
    )  # fmt: skip


def test_a_batch_logs_its_fresh_sends_per_step(caplog: pytest.LogCaptureFixture) -> None:
    info(caplog)
    deliveries = MemoryDeliveries()
    results = Results()
    results.decided(delivered("d1", "hello", "sent"))
    results.decided(delivered("d2", "hello", "sent"))
    results.decided(delivered("d3", "hello", "failed"))
    results.decided(delivered("d4", "nudge", "sent"))
    results.replayed(delivered("d5", "nudge", "sent"))  # counted by its first attempt
    Recorder(log=deliveries, counters=deliveries).finish(results, cast(Any, Allowance()))
    assert step_lines(caplog) == [
        {"journey": "welcome", "step": "hello", "sent": 2, "sent_line": 2, "failed": 1},
        {"journey": "welcome", "step": "nudge", "sent": 1, "sent_line": 1},
    ]
    # the same increments the table's counters got
    assert deliveries.steps[("welcome", "hello", "sent")] == 2


# ---- the evaluator's engagement: the first open or click of a delivery ----------------


class Engagement:
    def __init__(self) -> None:
        self.marked: set[tuple[str, str]] = set()

        self.counted: list[tuple[str, str, str]] = []

    def mark_engagement(
        self, delivery_id: str, kind: str, at: str, counted_for: tuple[str, str] | None = None
    ) -> bool:
        first = (delivery_id, kind) not in self.marked
        self.marked.add((delivery_id, kind))
        if first and counted_for is not None:
            self.counted.append((*counted_for, kind))
        return first


def test_the_first_open_and_click_of_a_delivery_count_for_its_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    info(caplog)
    unused = cast(Any, None)
    engagement = Engagement()
    reactions = StreamReactions(unused, unused, unused, engagement, unused, unused, unused, unused)  # fmt: skip
    enrolment = entering().enrolment
    enrolment.sends = {"hello": "d-1"}
    opened = {"type": "email.opened", "time": NOW.isoformat(), "data": {"delivery_id": "d-1"}}
    clicked = {**opened, "type": "message.clicked"}
    for event in (opened, opened, clicked, {**opened, "data": {"delivery_id": "d-other"}}):
        reactions._record_engagement(event, [enrolment])
    assert step_lines(caplog) == [
        {"journey": "welcome", "step": "hello", "opened": 1},
        {"journey": "welcome", "step": "hello", "clicked": 1},
    ]
    # and the step's counters in the table (`kairos stats`) got the same, once each
    assert engagement.counted == [("welcome", "hello", "opened"), ("welcome", "hello", "clicked")]


# ---- metrics: only with kairos:metrics=detailed ----------------------------------------

SCRIPT = """
from kairos import step_counters
step_counters.report({
    ("welcome", "hello"): {"entered": 1, "requested": 1},
    ("welcome", "-"): {"entered": 1, "converted": 1},
})
"""


def run(mode: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(EMF documents, step counters log lines) a function in this metrics mode prints."""
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "KAIROS_METRICS": mode}
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    env["POWERTOOLS_SERVICE_NAME"] = "evaluator"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return (
        [line for line in lines if "_aws" in line],
        [line for line in lines if line.get("message") == metric_names.STEP_COUNTERS_LOG],
    )


def test_detailed_mode_publishes_step_counters_with_journey_and_step_dimensions() -> None:
    documents, lines = run("detailed")
    assert len(lines) == 2
    published = {}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Kairos"
        assert sorted(directive["Dimensions"][0]) == ["journey", "service", "step"]
        names = {m["Name"] for m in directive["Metrics"]}
        published[(document["journey"], document["step"], document["service"])] = {
            n: document[n] for n in names
        }
    # `requested` is logged but is not one of the counters published as metrics
    assert published == {
        ("welcome", "-", "evaluator"): {"entered": [1.0], "converted": [1.0]},
        ("welcome", "hello", "evaluator"): {"entered": [1.0]},
    }
    # an EMF document has no `message`: the dashboard's log query never counts it twice
    assert all("message" not in document for document in documents)


@pytest.mark.parametrize("mode", ["", "health"])
def test_a_default_stack_logs_step_counters_and_publishes_no_metric(mode: str) -> None:
    documents, lines = run(mode)
    assert documents == []
    assert [(line["journey"], line["step"], line["entered"]) for line in lines] == [
        ("welcome", "-", 1),
        ("welcome", "hello", 1),
    ]
    assert all("member_id" not in line for line in lines)
