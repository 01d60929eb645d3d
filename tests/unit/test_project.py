"""Loading a brand project: the examples are valid, and a broken project reports every
problem at once with its file, line, step and reason."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from kairos.project import ProjectError, load_project
from kairos_dev.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    return [str(p) for p in caught.value.problems]


def test_the_examples_are_valid() -> None:
    project = load_project(EXAMPLES)
    assert project.summary() == "14 journeys, 24 templates, 3 segments, 2 rich menus"
    assert project.settings.timezone == "Asia/Taipei"
    assert [j.id for j in project.journeys_on_event("line.follow")] == [
        "breakfast-qr-coupon",
        "welcome-quiz",
    ]
    assert [j.id for j in project.journeys_on_segment("dormant")] == ["winback-dormant"]
    assert all(v.startswith("v") and len(v) == 13 for v in project.template_versions.values())


def test_versions_follow_meaning_not_formatting(tmp_path: Path) -> None:
    # Given a copy of the examples
    root = tmp_path / "brand"
    shutil.copytree(EXAMPLES, root)
    before = load_project(root)
    # When a comment is added to a journey, nothing is republished
    path = root / "journeys" / "birthday.yaml"
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_project(root).version == before.version
    # When a template's words change, that template and the project get new versions
    tpl = root / "templates" / "weekend-coffee.yaml"
    tpl.write_text(tpl.read_text(encoding="utf-8").replace("半價", "八折"), encoding="utf-8")
    after = load_project(root)
    assert after.template_versions["weekend-coffee"] != before.template_versions["weekend-coffee"]
    assert after.template_versions["coupon-30"] == before.template_versions["coupon-30"]
    assert after.journeys["birthday"].version == before.journeys["birthday"].version
    assert after.version != before.version


def test_a_minimal_project_needs_no_settings_and_no_segments(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "journeys/hello.yaml": """
            id: hello
            name: 歡迎
            trigger: {event: line.follow}
            steps:
              - send: {template: hello}
        """,
        "templates/hello.yaml": "id: hello\nline: {text: 歡迎！}\n",
    })  # fmt: skip
    project = load_project(root)
    assert project.summary() == "1 journey, 1 template, 0 segments"
    assert project.settings.timezone == "Asia/Taipei"
    assert project.journeys["hello"].first == "step-1"


BROKEN = {
    "kairos.yaml": """
        timezone: Asia/Taipe
        quiet_hours: {start: 21:00, end: 09:00}
        lifecycle:
          - {stage: vip, when: {field: stats.lifecycle, eq: x}}
    """,
    "segments/dormant.yaml": """
        id: dormant
        name: 沉睡
        where: {field: trigger.data.x, eq: 1}
    """,
    "templates/coupon.yaml": """
        id: coupon
        line: {text: "{{ profile.name }，你好"}
    """,
    "templates/mail.yaml": """
        id: mail
        email: {subject: hi, text: hello}
    """,
    "templates/dup.yaml": """
        id: mail
        sms: {text: hi}
    """,
    "journeys/bad-yaml.yaml": """
        id: bad-yaml
        name: x
        steps: [
    """,
    "journeys/broken.yaml": """
        id: broken
        name: 壞掉的旅程
        trigger:
          event: line.follow
          where: {field: profile.gender, equals: female}
        audience: {field: steps.coupon.opened, eq: true}
        steps:
          - id: start
            wait: {days: 7}
          - id: pick
            branch:
              cases:
                - {when: {field: tags, contains: vip}, goto: coupon}
              else: nowhere
          - id: coupon
            send: {channel: sms, template: coupon, fallback: [email]}
            next: pick
          - id: mail
            send: {channel: auto, template: mail}
          - id: missing
            send: {template: ghost}
          - id: ab
            split: [{weight: 50, goto: mail}, {weight: 40, goto: missing}]
          - id: start
            enter: ghost-journey
          - wait: {days: 1}
            colour: red
          - id: orphan
            tag: [x]
    """,
    "journeys/also-broken.yaml": """
        id: broken
        name: dup
        trigger: {segment: sleepers}
        steps:
          - tag: [x]
    """,
    "journeys/cron.yaml": """
        id: cron
        name: c
        trigger: {schedule: {cron: "0 8 * * SATURDAY", segment: dormant}}
        steps:
          - tag: [x]
    """,
}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    # Given a project with many different mistakes
    root = write(tmp_path, BROKEN)
    # When it is loaded
    found = problems_of(root)
    # Then every one is named with file, line, step and reason
    expected = [
        "journeys/also-broken.yaml:3: trigger.segment: no segment 'sleepers' (known: dormant)",
        "journeys/broken.yaml:1: id: duplicate journey id 'broken' (also in journeys/also-broken.yaml)",
        "journeys/bad-yaml.yaml:4: YAML syntax: expected the node content, but found '<stream end>'",
        "journeys/broken.yaml:5: trigger.where: unknown operator 'equals'; did you mean eq?",
        "journeys/broken.yaml:6: audience: 'steps.coupon.opened': steps.* cannot be used before the member is enrolled (use profile, tags, stats, trigger, event)",
        "journeys/broken.yaml:10: step pick: loop without a wait (pick → coupon → pick): add a wait or wait_for to it",
        "journeys/broken.yaml:18: step mail: loop without a wait (mail → missing → ab → mail): add a wait or wait_for to it",
        "journeys/broken.yaml:14: step pick: branch.else: no step 'nowhere' in this journey",
        "journeys/broken.yaml:16: step coupon: send.channel: template 'coupon' has no sms message (it has line)",
        "journeys/broken.yaml:16: step coupon: send.fallback[0]: template 'coupon' has no email message",
        "journeys/broken.yaml:21: step missing: send.template: no template 'ghost' in templates/",
        "journeys/broken.yaml:23: step ab: split weights add up to 90, not 100",
        "journeys/broken.yaml:24: step start: duplicate step id 'start'",
        "journeys/broken.yaml:25: step start: enter: no journey 'ghost-journey'",
        "journeys/broken.yaml:26: step step-8: unknown field 'colour'",
        "journeys/cron.yaml:3: trigger.schedule.cron: bad cron '0 8 * * SATURDAY': Bad day-of-week",
        "kairos.yaml:1: timezone: unknown time zone 'Asia/Taipe' (use an IANA name)",
        "segments/dormant.yaml:3: where: 'trigger.data.x': trigger.* cannot be used in a segment (use profile, tags, stats)",
        "templates/coupon.yaml:2: line.text: template does not parse (line 1 of the text): unexpected '}'",
        "templates/mail.yaml:1: id: duplicate template id 'mail' (also in templates/dup.yaml)",
    ]
    for line in expected:
        assert line in found, f"missing: {line}\nfound:\n" + "\n".join(found)
    assert len(found) == len(expected), "\n".join(sorted(set(found) - set(expected)))


def test_unreachable_steps_and_missing_segments(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "journeys/j.yaml": """
            id: j
            name: j
            trigger: {segment: sleepers}
            steps:
              - tag: [a]
                next: end
              - id: orphan
                tag: [b]
        """,
    })  # fmt: skip
    found = problems_of(root)
    assert (
        "journeys/j.yaml:3: trigger.segment: no segment 'sleepers' (known: none in segments/)"
        in found
    )
    assert "journeys/j.yaml:7: step orphan: unreachable: no step leads here" in found


def test_segments_in_conditions_must_exist_and_segments_cannot_use_them(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "segments/vip.yaml": """
            id: vip
            name: VIP
            where: {field: stats.total_spent, gte: 3000}
        """,
        "segments/loop.yaml": """
            id: loop
            name: loop
            where: {any: [{segment: vip}, {field: tags, contains: x}]}
        """,
        "journeys/j.yaml": """
            id: j
            name: j
            trigger: {event: order.created}
            audience: {segment: vip}
            steps:
              - id: pick
                branch:
                  cases:
                    - {when: {not: {segment: vips}}, goto: end}
                  else: end
        """,
    })  # fmt: skip
    found = problems_of(root)
    assert found == [
        "journeys/j.yaml:9: step pick: branch.cases[0].when.not: no segment 'vips' "
        "(known: loop, vip); did you mean vip?",
        "segments/loop.yaml:3: where.any[0]: segment 'vip' cannot be used in a segment: "
        "a segment or lifecycle rule cannot depend on segments",
    ]


def test_lifecycle_rules_are_checked(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"kairos.yaml": "lifecycle:\n  - {stage: x, when: {field: stats.lifecycle, eq: a}}\n"},
    )
    assert problems_of(root) == [
        "kairos.yaml:2: lifecycle[0].when: 'stats.lifecycle' cannot be used in lifecycle"
    ]


def test_a_step_without_a_kind_names_what_it_found(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "journeys/j.yaml": """
            id: j
            name: j
            trigger: {event: line.follow}
            steps:
              - id: typo
                sned: {template: x}
        """,
    })  # fmt: skip
    [problem] = problems_of(root)
    assert problem == (
        "journeys/j.yaml:5: step typo: a step needs exactly one of wait, wait_for, send, branch, "
        "split, tag, untag, set, enter, goto, exit, richmenu (found sned)"
    )


def test_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES)]) == 0
    assert capsys.readouterr().out.startswith(
        "14 journeys, 24 templates, 3 segments, 2 rich menus: valid"
    )
    root = write(tmp_path, BROKEN)
    assert main(["validate", str(root)]) == 1
    err = capsys.readouterr().err
    assert (
        "journeys/broken.yaml:14: step pick: branch.else: no step 'nowhere' in this journey" in err
    )
    assert err.rstrip().endswith("problems: not valid")


def test_schema_command_writes_editor_schemas(tmp_path: Path) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    journey = json.loads((tmp_path / "journey.schema.json").read_text(encoding="utf-8"))
    assert set(journey["properties"]) >= {
        "id",
        "name",
        "trigger",
        "steps",
        "entry",
        "exit_on",
        "holdout",
    }
    assert "WaitForStep" in journey["$defs"]
    assert journey["$defs"]["Case"]["properties"]["when"]["description"].startswith("A condition")
    for name in ("template", "segment", "settings"):
        assert (tmp_path / f"{name}.schema.json").is_file()
