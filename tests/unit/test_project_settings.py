"""`kairos.yaml` has one reader: what `kairos validate` accepts is exactly what the
functions run with, read by the same YAML 1.2 rules into the same model."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kairos.models.settings import QuietHours, Settings
from kairos.project import Problem, ProjectError, load_project, load_settings
from kairos_dev.cli import main

JOURNEY = """
id: hello
name: 歡迎
trigger: {event: line.follow}
steps:
  - send: {template: hello}
"""


def project(root: Path, settings: str | None) -> Path:
    """A valid one-journey project with `settings` as its kairos.yaml (None: no file)."""
    (root / "journeys").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "journeys" / "hello.yaml").write_text(JOURNEY.lstrip(), encoding="utf-8")
    (root / "templates" / "hello.yaml").write_text("id: hello\nline: {text: 歡迎！}\n", "utf-8")
    if settings is not None:
        text = textwrap.dedent(settings).lstrip()
        (root / "kairos.yaml").write_text(text, encoding="utf-8")
    if settings is not None and "richmenus:" in settings:
        # The rich menus and segment the example's bindings name (checked across files).
        examples = Path(__file__).parents[2] / "examples"
        shutil.copytree(examples / "richmenus", root / "richmenus")
        shutil.copytree(examples / "segments", root / "segments")
    return root


def test_unquoted_quiet_hours_validate_and_load_the_same_for_the_functions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given quiet hours written without quotes (YAML 1.1 would read 21:00 as 1260)
    root = project(tmp_path, "quiet_hours: {start: 21:00, end: 09:00}\n")
    # When the project is validated
    assert main(["validate", str(root)]) == 0, capsys.readouterr().err
    # Then a function reading the settings gets the very same times
    settings = load_settings(str(root))
    assert settings.quiet_hours == QuietHours(start="21:00", end="09:00")
    assert settings == load_project(root).settings


SETTINGS_FILES: dict[str, tuple[str | None, bool]] = {
    # name: (kairos.yaml, valid)
    "no file": (None, True),
    "an empty file": ("", True),
    "unquoted times": ("quiet_hours: {start: 21:00, end: 09:00}\n", True),
    "yes, no and leading zeros stay text": (
        "channels:\n  email: {reply_to: no}\n  sms: {sender_id: 010}\n",
        True,
    ),
    "every field": (Path(__file__).parents[2].joinpath("examples/kairos.yaml").read_text(), True),
    "an unknown time zone": ("timezone: Asia/Taipe\n", False),
    "an unknown key": ("quiet_hour: {start: '21:00', end: '09:00'}\n", False),
    "a time that is not HH:MM": ("quiet_hours: {start: 9pm, end: '09:00'}\n", False),
    "a lifecycle condition": (
        "lifecycle:\n  - {stage: x, when: {field: stats.lifecycle, eq: a}}\n",
        False,
    ),
    "a YAML syntax error": ("quiet_hours: {start: 21:00\n", False),
    "not a mapping": ("- line\n- email\n", False),
}


@pytest.mark.parametrize("name", SETTINGS_FILES)
def test_validate_and_the_functions_cannot_disagree(tmp_path: Path, name: str) -> None:
    # Given a kairos.yaml that YAML 1.1 and 1.2 read differently, or that is wrong
    text, valid = SETTINGS_FILES[name]
    root = project(tmp_path, text)
    # When the whole project is loaded (kairos validate, cdk synth, the evaluator) and
    # when a function reads only the settings (webhook, local tools)
    from_project = outcome(lambda: load_project(root).settings)
    for_functions = outcome(lambda: load_settings(str(root)))
    # Then both accept the same settings, or both refuse with the same problems
    assert for_functions == from_project
    if valid:
        assert isinstance(for_functions, Settings)
    else:
        assert isinstance(for_functions, list) and for_functions
        assert all(p.file == "kairos.yaml" for p in for_functions)


def outcome(read: Callable[[], Settings]) -> Settings | list[Problem]:
    try:
        return read()
    except ProjectError as exc:
        return exc.problems


def test_yaml_1_2_text_stays_text(tmp_path: Path) -> None:
    root = project(tmp_path, "channels:\n  email: {reply_to: no}\n  sms: {sender_id: 010}\n")
    settings = load_settings(str(root))
    assert settings.channels.email.reply_to == "no"
    assert settings.channels.sms.sender_id == "010"


def test_a_problem_in_kairos_yaml_names_its_line(tmp_path: Path) -> None:
    root = project(tmp_path, "timezone: Asia/Taipei\nquiet_hours: {start: 9pm, end: '09:00'}\n")
    with pytest.raises(ProjectError) as caught:
        load_settings(str(root))
    assert [str(p) for p in caught.value.problems] == [
        "kairos.yaml:2: quiet_hours.start: '9pm' is not a 24-hour HH:MM time"
    ]


def test_the_functions_read_the_settings_once(tmp_path: Path) -> None:
    # Given settings a function has read (a Lambda calls this on every invocation)
    root = project(tmp_path, "timezone: Asia/Tokyo\n")
    first = load_settings(str(root))
    # When the file changes under a warm function
    (root / "kairos.yaml").write_text("timezone: Europe/Paris\n", encoding="utf-8")
    # Then it keeps what it read: the project only changes with a deployment
    assert load_settings(str(root)) is first
    assert first.timezone == "Asia/Tokyo"


def test_without_a_project_directory_every_default_applies() -> None:
    assert load_settings(None) == Settings()
    assert load_settings("") == Settings()


def test_a_project_directory_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a directory"):
        load_settings(str(tmp_path / "missing"))
