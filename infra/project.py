"""The brand project directory (`kairos:project`) that the functions read at /opt/kairos-project.

`load_project` is the synth-time gate: today it only checks that the directory exists;
the journey engine will make it validate the project (journeys, templates, settings)
so that a broken project fails `cdk synth` with the same messages as `kairos validate`.
"""

from __future__ import annotations

from pathlib import Path

MOUNT_POINT = "/opt/kairos-project"
"""Where the project layer appears inside every function (layers unpack under /opt)."""


class ProjectError(ValueError):
    """The brand project cannot be deployed; synth stops with this message."""


def load_project(path: Path) -> Path:
    """Check the brand project at `path` before it is shipped; return its resolved path."""
    if not path.is_dir():
        raise ProjectError(
            f"kairos:project: {path} is not a directory (expected a brand project with "
            "kairos.yaml, journeys/, templates/)"
        )
    return path.resolve()
