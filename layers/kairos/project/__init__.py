"""A brand project directory: `kairos.yaml`, `journeys/`, `templates/`, `segments/`.

    yaml.py      reading project files: YAML 1.2 scalars, lines kept for messages
    problems.py  `Problem` (file, line, where, reason) and `ProjectError` (all of them)
    parsing.py   a document into a validated model, pydantic errors into located problems
    settings.py  `kairos.yaml`: the one settings reader; `load_settings` for functions
    checks.py    templates compiled as the sender compiles them; cross-file references
    loader.py    `load_project`: the whole directory, checked and versioned

`load_project` and `Project` are imported on first use: a function that reads only the
settings (`load_settings`) does not load the journey compiler and Jinja at cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kairos.project.problems import Problem, ProjectError
from kairos.project.settings import SETTINGS_FILE, load_settings, read_settings
from kairos.project.yaml import Document, parse_yaml, read_yaml

if TYPE_CHECKING:
    from kairos.project.loader import Project, content_version, load_project

_FROM_LOADER = ("Project", "content_version", "load_project")


def __getattr__(name: str) -> Any:
    if name in _FROM_LOADER:
        from kairos.project import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SETTINGS_FILE",
    "Document",
    "Problem",
    "Project",
    "ProjectError",
    "content_version",
    "load_project",
    "load_settings",
    "parse_yaml",
    "read_settings",
    "read_yaml",
]
