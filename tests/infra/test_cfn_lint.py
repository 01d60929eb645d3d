"""cfn-lint finds no error in the synthesized template."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

cfnlint_api = pytest.importorskip("cfnlint.api")

# CDK makes each function depend on its role explicitly as well as through `Role`.
KNOWN_WARNINGS = {"W3005"}


def test_template_passes_cfn_lint(template: Template) -> None:
    # Regions where Lambda arm64, SES v2 and every resource used here exist.
    matches = cfnlint_api.lint(
        json.dumps(template.to_json()), regions=["us-east-1", "ap-northeast-1", "eu-west-1"]
    )
    findings = [
        f"{m.rule.id} {m.message}"
        for m in matches
        if m.rule.id[0] in "EW" and m.rule.id not in KNOWN_WARNINGS
    ]
    assert findings == []
