"""`kairos journeys diagram`: every example journey as a Mermaid flowchart, asserted by
its structure (nodes, edges, labels), with and without counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kairos.engine.compiled import CompiledJourney
from kairos.project import load_project
from kairos_dev.cli import main
from kairos_dev.diagram import mermaid
from tests.e2e.journey_builder import BrandProject

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NODE = re.compile(r'^    (\w+)(\(\[|\{\{|\[\[|\[/|\(\(\(|\[|\{)"(.*)"')
EDGE = re.compile(r'^    (\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)$')


def parse(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str]]]:
    """Nodes (id → shape, label) and edges (source, label, target) of a flowchart."""
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        if edge := EDGE.match(line):
            edges.append((edge[1], edge[3] or "", edge[4]))
        elif node := NODE.match(line.replace("        ", "    ", 1)):
            nodes[node[1]] = (node[2], node[3])
    return nodes, edges


@pytest.fixture(scope="module")
def examples() -> dict[str, CompiledJourney]:
    journeys: dict[str, CompiledJourney] = load_project(EXAMPLES).journeys
    return journeys


def test_every_example_is_a_connected_flowchart(examples: dict[str, CompiledJourney]) -> None:
    for journey_id, journey in examples.items():
        text = mermaid(journey)
        nodes, edges = parse(text)
        assert text.startswith("flowchart TD\n"), journey_id
        # one node per step, plus the trigger and the end
        steps = {f"s{s.index}" for s in journey.steps.values()}
        assert steps | {"start", "done"} <= set(nodes), journey_id
        # every edge joins drawn nodes, and every step is reached from the trigger
        assert all(a in nodes and b in nodes for a, _, b in edges), journey_id
        reached, frontier = {"start"}, ["start"]
        while frontier:
            here = frontier.pop()
            for a, _, b in edges:
                if a == here and b not in reached:
                    reached.add(b)
                    frontier.append(b)
        assert steps <= reached, journey_id
        # goals hang off a converted node
        goals = [n for n in nodes if n.startswith("goal")]
        assert len(goals) == len(journey.journey.exit_on), journey_id


def test_branches_carry_their_conditions_and_waits_their_outcomes(
    examples: dict[str, CompiledJourney],
) -> None:
    nodes, edges = parse(mermaid(examples["edm-resend"]))
    assert nodes["s1"] == ("([", "three-days<br/>wait 3 days")
    assert nodes["s2"][0] == "{"
    assert ("s2", "steps.first-email.opened ≠ true", "s3") in edges
    assert ("s2", "else", "done") in edges
    assert nodes["goal0"] == ("[/", "goal: order.created")

    nodes, edges = parse(mermaid(examples["welcome-quiz"]))
    assert nodes["s1"][0] == "{{"
    assert "wait for line.postback where event.data.data starts with quiz=" in nodes["s1"][1]
    assert ("s1", "line.postback", "s3") in edges  # on_event: thanks
    assert ("s1", "timeout", "s2") in edges  # on_timeout: nudge

    nodes, _ = parse(mermaid(examples["dental-recall"]))
    assert "send line → sms: dental-cleaning-recall" in nodes["s2"][1]
    assert "in [#quot;cleaning#quot;, #quot;filling#quot;]" in nodes["start"][1]


def test_splits_tags_sets_enter_goto_and_exit_with_counts(tmp_path: Path) -> None:
    # Given a journey with the step kinds the examples do not use, and its counters
    project = BrandProject(tmp_path)
    project.template("a", line="A")
    project.journey("""
        id: every-kind
        name: 每一種步驟
        trigger: {event: order.created, where: {field: event.data.total, gte: 1000}}
        exit_on: [{event: coupon.redeemed, where: {field: event.data.coupon_id, eq: "C#1"}}]
        steps:
          - id: pick
            split: [{weight: 30, goto: mark}, {weight: 70, goto: leave}]
          - {id: mark, tag: [vip, "a<b>"]}
          - {id: unmark, untag: [lapsed]}
          - {id: remember, set: {tier: gold}}
          - {id: hand-over, enter: other}
          - {id: again, goto: send-a}
          - {id: leave, exit: true}
          - {id: send-a, send: {channel: line, template: a}}
    """)
    project.journey("""
        id: other
        name: other
        trigger: {event: line.follow}
        steps: [{send: {channel: line, template: a}}]
    """)
    journey = load_project(project.root).journeys["every-kind"]
    counters = {
        "-": {"entered": 10, "converted": 2, "completed": 3, "revenue": 4500},
        "pick": {"entered": 10, "arm-0": 3, "arm-1": 7},
        "send-a": {"entered": 3, "requested": 3, "sent": 3},
    }

    # When it is drawn with its counts
    nodes, edges = parse(mermaid(journey, counters))

    # Then splits show weights and how many took each arm
    assert ("s0", "30% (3)", "s1") in edges
    assert ("s0", "70% (7)", "s6") in edges
    assert nodes["s1"][1] == "mark<br/>tag vip, a#lt;b#gt;"
    assert nodes["s2"][1] == "unmark<br/>untag lapsed"
    assert nodes["s3"][1] == "remember<br/>set {#quot;tier#quot;: #quot;gold#quot;}"
    assert nodes["s4"] == ("[[", "hand-over<br/>enter journey other")
    assert ("s5", "", "s7") in edges  # goto
    assert nodes["s6"] == ("[[", "leave<br/>exit")
    assert not [e for e in edges if e[0] == "s6"]  # an exit goes nowhere
    assert "<b>entered 3 · requested 3 · sent 3</b>" in nodes["s7"][1]
    assert "<b>entered 10</b>" in nodes["start"][1]
    assert "event.data.total ≥ 1000" in nodes["start"][1]
    assert "<b>converted 2 · revenue 4500</b>" in nodes["converted"][1]
    assert "C#35;1" in nodes["goal0"][1]


def test_the_command_writes_a_file_without_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAIROS_TABLE", raising=False)
    monkeypatch.delenv("KAIROS_PROJECT_DIR", raising=False)
    out = tmp_path / "diagrams" / "edm.mmd"
    code = main(["journeys", "diagram", "edm-resend", "--project", str(EXAMPLES),
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "without counts" in capsys.readouterr().out
    nodes, _ = parse(out.read_text(encoding="utf-8"))
    assert len(nodes) == 4 + 4  # 4 steps, start, end, goal, converted
    assert main(["journeys", "diagram", "nope", "--project", str(EXAMPLES)]) == 1
    assert "no journey nope" in capsys.readouterr().err
