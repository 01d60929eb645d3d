"""Build the shared Lambda layer (the `kairos` package and its dependencies) without Docker.

Dependencies are exactly those pinned, with hashes, in `requirements/layer.txt` (made by
`make lock` from pyproject.toml, resolved for the Lambda platform), installed by pip as
wheels for arm64 / CPython 3.13 with `--require-hashes --no-deps`: no compiler, no
container, and two machines build the same layer. Why pre-build here rather than in an
`ILocalBundling`: bundling output is cached per cloud-assembly directory, and tests
synthesize into a fresh one each session, so we would need our own cache anyway. Built
here, the dependencies are cached by a hash of the lock file
(`build/layer-deps-<hash>/`, so a synth needs no network once that exists), the layer
directory is named by a hash of that and the `kairos` package, and that hash is handed
to CDK as the asset hash so it does not fingerprint tens of megabytes on every synth.

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

from infra.paths import BUILD, LAYER_LOCK, PACKAGE, PYPROJECT

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
# `make lock` leaves them out of the layer lock.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})

# Bump when the layout of the built directories changes, to invalidate old caches.
LAYOUT_VERSION = "2"

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
    """`[project].dependencies` minus what the Lambda runtime already provides (what the
    layer lock must satisfy)."""
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


def pinned(lock: Path = LAYER_LOCK) -> dict[str, str]:
    """Distribution name → version pinned in a lock file (markers and hashes aside)."""
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            found[requirement_name(match.group(1))] = match.group(2)
    return found


def _pip_install(lock: Path, target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # .pyc from this interpreter would not match the Lambda's 3.13
        # The lock is the whole closure, every file checked against its hash.
        "--require-hashes",
        "--no-deps",
        *PIP_TARGET_ARGS,
        "--target",
        str(target),
        "-r",
        str(lock),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"building the Kairos layer failed: pip could not install {lock} for "
            f"{LAYER_PLATFORM} / Python {LAYER_PYTHON} (after changing dependencies in "
            f"pyproject.toml, run `make lock`):\n{result.stderr}"
        )


def _drop_runtime_provided(site: Path) -> None:
    # Transitive dependencies (e.g. the X-Ray SDK) pull botocore back in.
    for entry in site.iterdir():
        name = requirement_name(entry.name.split("-")[0]) if entry.name[0].isalnum() else ""
        if name in PROVIDED_BY_RUNTIME or entry.name == "bin":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def dependencies_key(lock: Path = LAYER_LOCK) -> str:
    """The cache key (and part of the asset hash) of the dependencies: the lock's bytes."""
    return _digest(LAYOUT_VERSION, *PIP_TARGET_ARGS, _file_hash(lock))


def dependencies_dir(lock: Path = LAYER_LOCK) -> Path:
    """`build/layer-deps-<hash of the lock>/python`: the locked packages, downloaded once."""

    def populate(staging: Path) -> None:
        site = staging / "python"
        _pip_install(lock, site)
        _drop_runtime_provided(site)

    return materialize(BUILD / f"layer-deps-{dependencies_key(lock)}", populate) / "python"


def _link_or_copy(src: str, dst: str) -> object:
    try:
        os.link(src, dst)  # hard links: assembling a layer costs no extra disk or time
    except OSError:
        shutil.copy2(src, dst)
    return dst


def build_layer(package: Path = PACKAGE, lock: Path = LAYER_LOCK) -> tuple[Path, str]:
    """The layer directory (`python/` = dependencies + `kairos`) and its content hash."""
    deps = dependencies_dir(lock)
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
