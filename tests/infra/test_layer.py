"""The shared layer is built for the Lambda platform, without Docker, and cached."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import infra.layer
from infra.layer import (
    PROVIDED_BY_RUNTIME,
    build_layer,
    dependencies_key,
    materialize,
    pinned,
    requirement_name,
    runtime_requirements,
    stage_project,
)
from infra.paths import DEV_LOCK, LAYER_LOCK, PYPROJECT


def test_runtime_requirements_leave_out_what_lambda_provides(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["boto3>=1.35", "Pydantic>=2.7", '
        '"botocore", "aws-lambda-powertools[parser]>=3"]\n'
    )
    assert runtime_requirements(pyproject) == ["Pydantic>=2.7", "aws-lambda-powertools[parser]>=3"]


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("line-bot-sdk>=3.12,<4", "line-bot-sdk"),
        ("PyYAML>=6", "pyyaml"),
        ("zope.interface", "zope-interface"),
    ],
)
def test_requirement_name(requirement: str, name: str) -> None:
    assert requirement_name(requirement) == name


def test_materialize_builds_once(tmp_path: Path) -> None:
    calls = []

    def populate(staging: Path) -> None:
        calls.append(staging)
        staging.mkdir()
        (staging / "f").write_text("x")

    first = materialize(tmp_path / "out", populate)
    second = materialize(tmp_path / "out", populate)
    assert first == second == tmp_path / "out"
    assert (first / "f").read_text() == "x"
    assert len(calls) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind


def test_layer_holds_arm64_py313_wheels_and_the_kairos_package() -> None:
    directory, asset_hash = build_layer()
    site = directory / "python"
    assert (site / "kairos" / "store" / "schema.py").is_file()
    assert list(site.glob("pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so"))
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "linebot").is_dir()
    assert not (site / "botocore").exists() and not (site / "boto3").exists()
    assert not list(site.rglob("__pycache__"))
    # Exactly the locked versions
    for name in ("pydantic", "aws_lambda_powertools", "line_bot_sdk"):
        (dist,) = site.glob(f"{name}-*.dist-info")
        version = dist.name.removesuffix(".dist-info").split("-")[1]
        assert pinned()[requirement_name(name)] == version
    # Same inputs, same directory and hash: repeated synths reuse it.
    assert build_layer() == (directory, asset_hash)


def test_a_cached_layer_builds_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the locked packages were downloaded once
    first = build_layer()

    # When pip (the only network user) is unavailable, Then the synth still gets its layer
    def offline(*_: object) -> None:
        raise AssertionError("pip called: the synth would need the network")

    monkeypatch.setattr(infra.layer, "_pip_install", offline)
    assert build_layer() == first


def test_the_asset_hash_follows_the_lock_not_the_ranges(tmp_path: Path) -> None:
    lock = tmp_path / "layer.txt"
    lock.write_text(LAYER_LOCK.read_text())
    key = dependencies_key(lock)
    assert dependencies_key(lock) == key
    # A new release pinned by `make update-deps` is a new layer under a new hash
    lock.write_text(LAYER_LOCK.read_text().replace("pydantic==", "pydantic==9", 1))
    assert dependencies_key(lock) != key


def test_project_layer_mounts_at_kairos_project(tmp_path: Path) -> None:
    (tmp_path / "kairos.yaml").write_text("timezone: Asia/Taipei\n")
    directory, _ = stage_project(tmp_path)
    assert (directory / "kairos-project" / "kairos.yaml").is_file()


def test_project_layer_carries_only_what_the_functions_read(tmp_path: Path) -> None:
    # Given a brand folder with its journeys and also member data and scratch files
    (tmp_path / "kairos.yaml").write_text("timezone: Asia/Taipei\n")
    for sub in ("journeys", "templates", "segments"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "a.yaml").write_text(f"id: {sub}\n")
    (tmp_path / "members.csv").write_text("email\namy@example.com\n")
    (tmp_path / "events.jsonl").write_text("{}\n")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "x.csv").write_text("secret\n")
    # When it is staged as the project layer
    directory, key = stage_project(tmp_path)
    # Then only kairos.yaml, journeys/, templates/ and segments/ ship
    shipped = directory / "kairos-project"
    assert sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*")) == [
        "journeys", "journeys/a.yaml", "kairos.yaml", "segments", "segments/a.yaml",
        "templates", "templates/a.yaml",
    ]  # fmt: skip
    # And member data does not change the layer's hash (no new version for an export)
    (tmp_path / "members.csv").write_text("email\nbob@example.com\n")
    assert stage_project(tmp_path)[1] == key
    (tmp_path / "journeys" / "a.yaml").write_text("id: changed\n")
    assert stage_project(tmp_path)[1] != key


def test_the_example_brand_ships_without_its_member_data() -> None:
    from infra.paths import ROOT

    directory, _ = stage_project(ROOT / "examples")
    shipped = directory / "kairos-project"
    assert (shipped / "journeys").is_dir() and (shipped / "kairos.yaml").is_file()
    assert not (shipped / "members.csv").exists() and not (shipped / "events.jsonl").exists()


# ---- the lock files -------------------------------------------------------------------


def locked_versions(lock: Path) -> dict[str, set[str]]:
    """Name → every pinned version (a universal lock may pin one per Python version)."""
    found: dict[str, set[str]] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            found.setdefault(requirement_name(match.group(1)), set()).add(match.group(2))
    return found


@pytest.mark.parametrize("lock", [LAYER_LOCK, DEV_LOCK], ids=["layer", "dev"])
def test_every_locked_package_is_pinned_with_hashes(lock: Path) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    packages = [e for e in entries if "==" in e]
    assert len(packages) > 20
    for entry in packages:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_layer_lock_satisfies_the_runtime_dependencies() -> None:
    # Fails after a pyproject.toml change without `make lock`.
    versions = pinned(LAYER_LOCK)
    for text in runtime_requirements():
        requirement = Requirement(text)
        name = requirement_name(requirement.name)
        assert name in versions, f"{name} is not in {LAYER_LOCK.name}: run make lock"
        assert requirement.specifier.contains(versions[name]), (name, versions[name])
    assert not PROVIDED_BY_RUNTIME & set(versions)  # the Lambda runtime has them


def test_the_dev_lock_satisfies_every_dependency_and_extra() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    wanted = [
        *project["dependencies"],
        *(r for rs in project["optional-dependencies"].values() for r in rs),
    ]
    versions = locked_versions(DEV_LOCK)
    for text in wanted:
        requirement = Requirement(text)
        name = requirement_name(requirement.name)
        assert name in versions, f"{name} is not in {DEV_LOCK.name}: run make lock"
        assert any(requirement.specifier.contains(v) for v in versions[name]), name


def test_tests_run_the_versions_that_ship() -> None:
    # The layer is resolved within the dev lock: every shipped version is a tested one.
    dev = locked_versions(DEV_LOCK)
    for name, version in pinned(LAYER_LOCK).items():
        assert version in dev.get(name, set()), (name, version)
