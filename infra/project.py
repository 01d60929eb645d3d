"""The brand project directory (`kairos:project`) that the functions read at /opt/kairos-project.

`load_project` is the synth-time gate: it loads the project exactly as `kairos validate`
does, so a broken project fails `cdk synth` (and so `cdk deploy`) with the same
messages — file, line, step and reason — and nothing is published.
"""

from __future__ import annotations

from pathlib import Path

from kairos import project as brand_project

MOUNT_POINT = "/opt/kairos-project"
"""Where the project layer appears inside every function (layers unpack under /opt)."""


class ProjectError(ValueError):
    """The brand project cannot be deployed; synth stops with this message."""


def load_project(path: Path) -> Path:
    """Validate the brand project at `path` before it is shipped; return its resolved path."""
    if not path.is_dir():
        raise ProjectError(
            f"kairos:project: {path} is not a directory (expected a brand project with "
            "kairos.yaml, journeys/, templates/)"
        )
    try:
        brand_project.load_project(path)
    except brand_project.ProjectError as exc:
        raise ProjectError(f"kairos:project {path} does not validate:\n{exc}") from None
    return path.resolve()
