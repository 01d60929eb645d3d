"""docs/deploy.md points at things that exist."""

from __future__ import annotations

import re

import pytest

from infra.paths import ROOT

GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
TOP = ("infra", "layers", "devtools", "functions", "docs", "examples", "requirements", "tests")


@pytest.mark.parametrize("project", sorted(set(re.findall(r"kairos:project=([^\s\"`]+)", GUIDE))))
def test_project_folders_in_the_guide_exist(project: str) -> None:
    assert (ROOT / project / "kairos.yaml").is_file(), project


def test_the_guide_names_project_folders() -> None:
    assert re.findall(r"kairos:project=([^\s\"`]+)", GUIDE)


@pytest.mark.parametrize(
    "path",
    sorted(
        {
            p
            for p in re.findall(r"`([A-Za-z0-9_./-]+)`", GUIDE)
            if p.split("/")[0] in TOP and "/" in p and "<" not in p
        }
    ),
)
def test_repository_paths_in_the_guide_exist(path: str) -> None:
    assert (ROOT / path).exists(), path
