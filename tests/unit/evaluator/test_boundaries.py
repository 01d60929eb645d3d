"""The evaluator is domain code: it reaches DynamoDB only through its ports, so loading
it never loads boto3 (ARCHITECTURE rule 7; kairos.store is the only boto3 for data)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["kairos.evaluator", "kairos.engine.steps"])
def test_domain_code_does_not_load_boto3(module: str) -> None:
    # Given a fresh interpreter, When the module is imported
    code = f"import sys, {module}; print('boto3' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    # Then boto3 was not loaded with it
    assert loaded == "False"
