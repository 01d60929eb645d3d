"""LINE's opens and clicks per step: every push and multicast of a step carries the
step's unit, the statistics job reads LINE's last 14 days per unit and keeps them
beside the step's counters, and numbers LINE hides (under 20) stay hidden as "< 20".

The deployed stack runs the job daily: its rule sends the evaluator
`{"kairos": "refresh-line-units", "time": ...}`, which the tests here send through the
evaluator's handler on the emulator — LINE over HTTP (the fake LINE) with the token
from the stack's Secrets Manager — and read back with `kairos stats`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kairos.config import RuntimeConfig
from kairos.delivery.units import unit_name
from kairos.observability import logger
from kairos.project import load_project
from kairos.reports.line_units import LineUnits, line_steps, refresh, shown
from kairos.richmenus.api import LineApi
from kairos.store.line_units import LineUnitStore
from kairos.wiring.evaluator import build
from kairos_dev.cli import main
from kairos_dev.local.functions import LambdaContext, load_function
from kairos_dev.local.line_inprocess import InProcessApi
from kairos_dev.local.simulator import Simulation
from tests.e2e.journey_builder import DEFAULT_SETTINGS, BrandProject, at, follow

STATISTICS = "GET /v2/bot/insight/message/event/aggregation"


def welcome_project(root: Path) -> BrandProject:
    # Replies off: the welcome would answer each follow with a (free) reply, and LINE's
    # reply API carries no unit — only pushes and multicasts count in the statistics.
    channels = DEFAULT_SETTINGS["channels"]
    project = BrandProject(
        root, channels={**channels, "line": {**channels["line"], "replies": False}}
    )
    project.template("hello", line="歡迎！")
    project.template("again", line="再次歡迎 {{ profile.line_user_id }}")
    project.journey("""
        id: welcome
        trigger: {event: line.follow}
        steps:
          - {id: hello, send: {channel: line, template: hello}}
          - {wait: {days: 1}}
          - {id: again, send: {channel: line, template: again}}
    """)
    return project


def test_opens_and_clicks_per_step_with_lines_small_counts_hidden(tmp_path: Path) -> None:
    # Given a welcome and a follow-up a day later, 40 friends and 10 of them tagged
    project = welcome_project(tmp_path)
    events = [follow(f"U-{i:02d}", "2026-03-02T10:00") for i in range(40)]
    end = datetime.fromisoformat(at("2026-03-04"))
    with project.running(events, until="2026-03-04") as simulation:
        fake = simulation._fake_line
        assert fake is not None
        # Then every message named its step's unit
        assert fake.menus.unit_recipients == {
            unit_name("welcome", "hello"): 40,
            unit_name("welcome", "again"): 40,
        }
        # When the statistics job runs
        steps = line_steps(load_project(project.root).journeys.values())
        store = LineUnitStore(simulation.stack.tables["main"], simulation.stack.client("dynamodb"))
        api = LineApi(InProcessApi(fake, lambda: fake.token))
        done = refresh(api, store, steps, end)
        assert len(done.read) == 2 == api.requests and done.failed == []
        kept = store.unit_stats("welcome")
    # Then each step has LINE's unique opens (24 of 40 in the fake), clicks hidden (4)
    assert steps == [("welcome", "again"), ("welcome", "hello")]
    assert kept["hello"]["opened"] == 24 and kept["hello"]["clicked"] is None
    assert kept["hello"]["from"] == "2026-02-19" and kept["hello"]["to"] == "2026-03-04"
    assert (shown(kept["hello"]["opened"]), shown(kept["hello"]["clicked"])) == ("24", "< 20")


# ---- the stack's daily job, through the evaluator's handler ---------------------------


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulation]:
    """The welcome journey's 40 friends on the emulator, each sent both LINE steps; the
    evaluator's LINE is the fake LINE over HTTP."""
    root = tmp_path_factory.mktemp("line-units")
    project = welcome_project(root)
    events = [follow(f"U-{i:02d}", "2026-03-02T10:00") for i in range(40)]
    with project.running(events, until="2026-03-04", backend="emulator") as simulation:
        yield simulation


def daily_event(time: str) -> dict[str, Any]:
    """What the stack's rule sends (infra/constructs/evaluator.py)."""
    return {"kairos": "refresh-line-units", "time": time}


def kept(simulation: Simulation) -> dict[str, dict[str, Any]]:
    store = LineUnitStore(simulation.stack.tables["main"], simulation.stack.client("dynamodb"))
    return store.unit_stats("welcome")


def kairos_stats(capsys: pytest.CaptureFixture[str], simulation: Simulation, *args: str) -> str:
    capsys.readouterr()
    table, project = simulation.stack.tables["main"], str(simulation.project_dir)
    assert main(["stats", "welcome", "--table", table, "--project", project, *args]) == 0
    return capsys.readouterr().out


def test_the_daily_rule_keeps_what_a_later_kairos_stats_shows(
    deployed: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = deployed._fake_line
    assert fake is not None and fake.server is not None  # LINE over HTTP
    asked = fake.menus.calls[STATISTICS]
    # When the rule fires at 19:30 UTC on 4 March (03:30 on the 5th in Taipei)
    answer = deployed.host.invoke("evaluator", daily_event("2026-03-04T19:30:00Z"))
    # Then both LINE steps were read, one request each
    assert answer == {"steps": 2, "failed": 0, "requests": 2}
    assert fake.menus.calls[STATISTICS] - asked == 2
    # And `kairos stats` shows LINE's opens, with the clicks LINE hid (4 of 40) as "< 20"
    line = json.loads(kairos_stats(capsys, deployed, "--json"))["line"]
    assert line["hello"] == {
        "opened": 24,
        "clicked": None,
        # LINE's days (UTC+9) ending on the scheduled time's: 14 of them
        "from": "2026-02-20",
        "to": "2026-03-05",
        "read_at": "2026-03-04T19:30:00+00:00",
    }
    assert line["again"]["opened"] == 24 and line["again"]["clicked"] is None
    printed = kairos_stats(capsys, deployed).split("LINE's own counts", 1)[1]
    hello_row = next(r for r in printed.splitlines() if r.strip(" │┃").startswith("hello "))
    assert "24" in hello_row and "< 20" in hello_row


def test_a_step_line_refuses_keeps_its_last_reading_and_the_others_are_read(
    deployed: Simulation,
) -> None:
    fake = deployed._fake_line
    assert fake is not None
    before = kept(deployed).get("hello")
    fake.menus.inject_statistics_error(unit_name("welcome", "hello"), 500)
    # When the rule fires the next day and LINE fails the welcome step's request
    logs = io.StringIO()
    stream = logger.registered_handler.setStream(logs)
    try:
        answer = deployed.host.invoke("evaluator", daily_event("2026-03-05T19:30:00Z"))
    finally:
        logger.registered_handler.setStream(stream)
    # Then the follow-up is read, the welcome is left as it was, and nothing raised
    assert answer == {"steps": 1, "failed": 1, "requests": 2}
    now = kept(deployed)
    assert now["again"]["read_at"] == "2026-03-05T19:30:00+00:00"
    assert now["again"]["to"] == "2026-03-06"
    assert now.get("hello") == before
    # And the log names the step and LINE's answer, never a member
    (line,) = [
        json.loads(text)
        for text in logs.getvalue().splitlines()
        if "LINE unit statistics not read" in text
    ]
    assert (line["journey"], line["step"], line["status"]) == ("welcome", "hello", 500)
    assert "U-" not in json.dumps(line) and "member_id" not in line


def test_without_a_line_token_the_job_asks_line_nothing(deployed: Simulation) -> None:
    fake = deployed._fake_line
    assert fake is not None
    handle = load_function("evaluator").handle
    context = LambdaContext(function_name="kairos-evaluator")
    environ = deployed.host.environ
    secrets = deployed.stack.client("secretsmanager")
    name = environ["KAIROS_LINE_SECRET_NAME"]
    asked = fake.menus.calls[STATISTICS]
    # A secret that does not exist
    missing = build(RuntimeConfig.from_env({**environ, "KAIROS_LINE_SECRET_NAME": "acme/none"}),
                    deployed.host.aws)  # fmt: skip
    event = daily_event("2026-03-06T19:30:00Z")
    assert handle(event, context, missing) == {"steps": 0, "failed": 0, "requests": 0}
    # A secret still holding the placeholder of docs/deploy.md (fresh wiring: the
    # functions cache a secret five minutes)
    value = secrets.get_secret_value(SecretId=name)["SecretString"]
    placeholder = {
        "channel_secret": "x",
        "channel_access_token": "<long-lived channel access token>",
    }
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps(placeholder))
    try:
        unset = build(RuntimeConfig.from_env(environ), deployed.host.aws)
        assert handle(event, context, unset) == {"steps": 0, "failed": 0, "requests": 0}
    finally:
        secrets.put_secret_value(SecretId=name, SecretString=value)
    assert fake.menus.calls[STATISTICS] == asked
    assert all(v["read_at"] != "2026-03-06T19:30:00+00:00" for v in kept(deployed).values())


class NoLine:
    requests = 0

    def unit_statistics(self, unit: str, first: date, last: date) -> dict[str, Any]:
        raise AssertionError("a project without LINE steps asks LINE nothing")


def test_a_project_without_line_steps_reads_nothing() -> None:
    def token_configured() -> bool:
        raise AssertionError("nor reads the LINE secret")

    job = LineUnits(api=NoLine(), store=LineUnitStore("t", None), steps=[],
                    token_configured=token_configured)  # fmt: skip
    assert job.refresh(datetime.fromisoformat(at("2026-03-05"))) == {
        "steps": 0, "failed": 0, "requests": 0,
    }  # fmt: skip
