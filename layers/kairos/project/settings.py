"""The brand's settings, `kairos.yaml` (SPEC §6): the one reader of the file.

`read_settings` is the only code that turns `kairos.yaml` into `Settings`. The project
loader (and so `kairos validate` and `cdk synth`) calls it, and so does
`load_settings`, the light entry point for functions that need the settings but not
the journeys (the webhook's time zone, the sender's channels): a file that validates
is the file the functions run with, read by the same YAML 1.2 rules into the same model
with the same checks.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from kairos.engine.conditions import ConditionError
from kairos.engine.derived import lifecycle_rules
from kairos.models.settings import Settings
from kairos.project.parsing import parse
from kairos.project.problems import Loc, Problem, ProjectError
from kairos.project.yaml import Document, read_yaml

SETTINGS_FILE = "kairos.yaml"


def project_root(path: str | Path) -> Path:
    """`path` as a project directory; raises ProjectError when it is not one."""
    root = Path(path)
    if not root.is_dir():
        raise ProjectError([Problem(str(root), None, "", "not a directory")])
    return root


def read_settings(root: Path) -> tuple[Settings, list[Problem]]:
    """The settings in `root/kairos.yaml` and every problem with them.

    No file, or an empty one, means every default. With problems, the settings returned
    are the defaults (so the rest of a project can still be checked in the same pass)."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        return Settings(), []
    try:
        doc = read_yaml(path, SETTINGS_FILE)
    except ProjectError as exc:
        return Settings(), exc.problems
    if doc.data is None:
        return Settings(), []
    problems: list[Problem] = []
    settings = parse(doc, Settings, problems)
    if settings is None:
        return Settings(), problems
    problems.extend(_lifecycle_problems(doc, settings))
    return settings, problems


def _lifecycle_problems(doc: Document, settings: Settings) -> list[Problem]:
    """The lifecycle stages' conditions must compile (the evaluator runs them)."""
    try:
        lifecycle_rules(settings)
    except ConditionError as exc:
        problems: list[Problem] = []
        for cp in exc.problems:
            # `lifecycle[0].when.all[1]` back to a document path, for the line.
            loc: Loc = tuple(
                int(x) if x.isdigit() else x for x in re.split(r"[.\[\]]+", cp.where) if x
            )
            problems.append(Problem(doc.path, doc.line(loc), cp.where, cp.reason))
        return problems
    return []


@cache
def load_settings(project_dir: str | Path | None) -> Settings:
    """The brand's settings as the functions use them: defaults without a project
    directory, else `kairos.yaml` read exactly as `kairos validate` reads it.

    Raises ProjectError (every problem, with its line) when the file does not validate.
    Cached per directory: handlers call this on every invocation, and the project only
    changes with a deployment."""
    if not project_dir:
        return Settings()
    settings, problems = read_settings(project_root(project_dir))
    if problems:
        raise ProjectError(problems)
    return settings
