"""`kairos validate` checks the stack's SES identity against the brand's sender."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infra.paths import ROOT
from kairos_dev.cli import main


@pytest.fixture
def brand(tmp_path: Path) -> Path:
    """A copy of the example brand (it sends from hello@yuemeng.example)."""
    target = tmp_path / "brand"
    shutil.copytree(
        ROOT / "examples", target, ignore=shutil.ignore_patterns("*.csv", "*.jsonl", "*.py")
    )
    return target


def test_an_identity_that_cannot_send_as_the_brand_is_a_problem(
    brand: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(brand), "--email-identity", "shop.example"]) == 1
    err = capsys.readouterr().err
    assert "channels.email.from" in err and "'shop.example'" in err
    assert "kairos:emailIdentity=yuemeng.example" in err
    assert err.strip().endswith("1 problem: not valid")


def test_an_identity_that_covers_the_sender_passes(
    brand: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(brand), "--email-identity", "yuemeng.example"]) == 0
    assert (
        "SES identity yuemeng.example may send as hello@yuemeng.example" in capsys.readouterr().out
    )


def test_the_identity_configured_in_cdk_json_is_checked(
    brand: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a CDK app that deploys this brand as shop.example
    app = brand.parent
    (app / "cdk.json").write_text(
        json.dumps({"context": {"kairos:project": "brand", "kairos:emailIdentity": "shop.example"}})
    )
    monkeypatch.chdir(app)
    # Then validating the brand finds the mismatch; another directory is not checked
    assert main(["validate", "brand"]) == 1
    assert "'shop.example'" in capsys.readouterr().err
    other = app / "other"
    shutil.copytree(brand, other)
    assert main(["validate", "other"]) == 0
