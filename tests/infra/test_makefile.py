"""The Makefile's promises: a locked, hash-checked install; one command to update the
pins; and a deploy that asks for approval outside dev. Read with `make -n` (nothing runs)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from infra.layer import LAYER_PLATFORM, LAYER_PYTHON
from infra.paths import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*args: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def command(lines: list[str], word: str) -> str:
    (line,) = [line for line in lines if word in line]
    return line


@pytest.mark.parametrize(
    ("context", "approval"),
    [
        ("", "never"),  # cdk.json's stage: dev
        ("-c kairos:stage=dev -c kairos:brand=yuemeng", "never"),
        ("-c kairos:brand=yuemeng -c kairos:stage=prod", "any-change"),
        ("-c kairos:stage=staging", "any-change"),
    ],
)
def test_deploy_asks_for_approval_unless_the_stage_is_dev(context: str, approval: str) -> None:
    line = command(dry_run("deploy", f"CDK_CONTEXT={context}"), "cdk deploy")
    assert f"--require-approval {approval}" in line


def test_the_approval_can_be_set_for_a_reviewed_pipeline() -> None:
    lines = dry_run("deploy", "CDK_CONTEXT=-c kairos:stage=prod", "REQUIRE_APPROVAL=broadening")
    assert "--require-approval broadening" in command(lines, "cdk deploy")


@pytest.mark.parametrize("target", ["synth", "deploy"])
def test_synth_and_deploy_build_the_console_first(target: str) -> None:
    # The stack ships console/dist as it is; the template never builds it.
    lines = dry_run(target)
    build = lines.index(command(lines, "npm run build"))
    assert build < lines.index(command(lines, f"cdk {target}"))


def test_the_dev_install_is_the_lock_checked_against_its_hashes() -> None:
    lines = dry_run(".venv/.installed")
    assert "--require-hashes -r requirements/dev.txt" in command(lines, "--require-hashes")
    # Our own package adds nothing unlocked.
    assert "--no-deps -e ." in command(lines, "-e .")


def test_one_command_pins_the_dependencies_for_the_dev_install_and_the_layer() -> None:
    lines = " ".join(dry_run("lock"))
    assert "-o requirements/dev.txt" in lines and "-o requirements/layer.txt" in lines
    assert "--generate-hashes" in lines
    # The layer is resolved for the platform infra/layer.py installs it for.
    assert f"--python-version {LAYER_PYTHON}" in lines
    assert LAYER_PLATFORM == "manylinux2014_aarch64"
    assert "--python-platform aarch64-manylinux2014" in lines
    assert "--upgrade" in " ".join(dry_run("update-deps"))
