"""The shared layer is built for the Lambda platform, without Docker, and cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.layer import (
    build_layer,
    materialize,
    requirement_name,
    runtime_requirements,
    stage_project,
)


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
    # Same inputs, same directory and hash: repeated synths reuse it.
    assert build_layer() == (directory, asset_hash)


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
