"""Build the shared Lambda layer (the `kairos` package and its dependencies) without Docker.

Dependencies come from PyPI as wheels for the Lambda platform (arm64, CPython 3.13), so
no compiler or container is needed. Why pre-build here rather than in an
`ILocalBundling`: bundling output is cached per cloud-assembly directory, and tests
synthesize into a fresh one each session, so we would need our own cache anyway. Built
here, the dependencies are cached by a hash of the requirement list
(`build/layer-deps-<hash>/`), the layer directory is named by a content hash, and that
hash is handed to CDK as the asset hash so it does not fingerprint tens of megabytes on
every synth.

Every directory is built under a temporary name and renamed into place, so concurrent
synths (parallel test workers) never see a half-built layer.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path

from infra.paths import BUILD, PACKAGE, PYPROJECT

LAYER_PYTHON = "3.13"
LAYER_PLATFORM = "manylinux2014_aarch64"

PIP_TARGET_ARGS = (
    "--platform",
    LAYER_PLATFORM,
    "--only-binary=:all:",
    "--python-version",
    LAYER_PYTHON,
    "--implementation",
    "cp",
)

# The Lambda runtime ships boto3/botocore; bundling our own would only add size and drift.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})

# Bump when the layout of the built directories changes, to invalidate old caches.
LAYOUT_VERSION = "1"

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")

# Superseded layer directories are removed once this old; a younger one may still be
# in use by a concurrent synth.
STALE_AFTER_SECONDS = 3600


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """`[project].dependencies` minus what the Lambda runtime already provides."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [
        req
        for req in project.get("dependencies", [])
        if requirement_name(req) not in PROVIDED_BY_RUNTIME
    ]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def tree_hash(root: Path) -> str:
    """A content hash of a directory (paths and bytes), ignoring caches."""
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        sha.update(rel.as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def materialize(final: Path, populate: Callable[[Path], None]) -> Path:
    """Build `final` once: populate a temporary sibling, then rename it into place."""
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    try:
        populate(staging)
        try:
            os.rename(staging, final)
        except OSError:
            if not final.exists():  # a real failure, not a concurrent builder winning
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _pip_install(requirements: list[str], target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # .pyc from this interpreter would not match the Lambda's 3.13
        *PIP_TARGET_ARGS,
        "--target",
        str(target),
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            "building the Kairos layer failed: pip could not install the runtime "
            f"dependencies for {LAYER_PLATFORM} / Python {LAYER_PYTHON}:\n{result.stderr}"
        )


def _drop_runtime_provided(site: Path) -> None:
    # Transitive dependencies (e.g. the X-Ray SDK) pull botocore back in.
    for entry in site.iterdir():
        name = requirement_name(entry.name.split("-")[0]) if entry.name[0].isalnum() else ""
        if name in PROVIDED_BY_RUNTIME or entry.name == "bin":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def dependencies_dir(requirements: list[str] | None = None) -> Path:
    """`build/layer-deps-<hash>/python`: the third-party packages, downloaded once."""
    reqs = sorted(runtime_requirements() if requirements is None else requirements)
    key = _digest(LAYOUT_VERSION, *PIP_TARGET_ARGS, *reqs)

    def populate(staging: Path) -> None:
        site = staging / "python"
        _pip_install(reqs, site)
        _drop_runtime_provided(site)

    return materialize(BUILD / f"layer-deps-{key}", populate) / "python"


def _link_or_copy(src: str, dst: str) -> object:
    try:
        os.link(src, dst)  # hard links: assembling a layer costs no extra disk or time
    except OSError:
        shutil.copy2(src, dst)
    return dst


def build_layer(package: Path = PACKAGE) -> tuple[Path, str]:
    """The layer directory (`python/` = dependencies + `kairos`) and its content hash."""
    deps = dependencies_dir()
    key = _digest(deps.parent.name, tree_hash(package))

    def populate(staging: Path) -> None:
        site = staging / "python"
        shutil.copytree(deps, site, copy_function=_link_or_copy)
        shutil.copytree(package, site / "kairos", ignore=_IGNORED)

    layer = materialize(BUILD / f"layer-{key}", populate)
    prune(BUILD, "layer-", keep=layer)
    return layer, key


PROJECT_FILES = ("kairos.yaml",)
PROJECT_DIRS = ("journeys", "templates", "segments")
"""What the functions read from a brand project. Nothing else ships: a brand folder often
holds member exports and event logs (`members.csv`, `events.jsonl`), which are personal
data and must not leave the brand's machine in a layer."""


def _project_parts(project: Path) -> list[Path]:
    parts = [project / name for name in PROJECT_FILES if (project / name).is_file()]
    return parts + [project / name for name in PROJECT_DIRS if (project / name).is_dir()]


def stage_project(project: Path) -> tuple[Path, str]:
    """A layer directory holding the brand project as `kairos-project/` (→ /opt/kairos-project):
    `kairos.yaml`, `journeys/`, `templates/` and `segments/` only."""
    parts = _project_parts(project)
    key = _digest(*(f"{p.name}:{tree_hash(p) if p.is_dir() else _file_hash(p)}" for p in parts))

    def populate(staging: Path) -> None:
        target = staging / "kairos-project"
        target.mkdir(parents=True)
        for part in parts:
            if part.is_dir():
                shutil.copytree(part, target / part.name, ignore=_IGNORED)
            else:
                shutil.copy2(part, target / part.name)

    staged = materialize(BUILD / f"project-{key}", populate)
    prune(BUILD, "project-", keep=staged)
    return staged, key


def prune(build: Path, prefix: str, keep: Path) -> None:
    """Remove stale `<prefix><hash>` directories (the layer changes with every edit)."""
    os.utime(keep)  # in use now: never stale for a concurrent synth
    cutoff = time.time() - STALE_AFTER_SECONDS
    for entry in build.glob(f"{prefix}*"):
        is_deps = entry.name.startswith("layer-deps-")  # the download cache: keep
        if entry != keep and not is_deps and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
