"""cdk-nag AwsSolutions: no finding may pass unacknowledged."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Aspects
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.stack import KairosStack


def test_the_app_runs_aws_solutions_checks(synthesized: tuple[App, KairosStack]) -> None:
    app, _ = synthesized
    assert any(isinstance(aspect, AwsSolutionsChecks) for aspect in Aspects.of(app).all)


def test_no_unsuppressed_nag_errors(stack: KairosStack, template: Template) -> None:
    # `template` first: synthesis runs the checks and records their annotations.
    errors = Annotations.from_stack(stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )
    assert [f"{e.id}: {e.entry.data}" for e in errors] == []


def test_no_unsuppressed_nag_warnings(stack: KairosStack, template: Template) -> None:
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )
    assert [f"{w.id}: {w.entry.data}" for w in warnings] == []


def _suppressions(resource: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = (
        resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    )
    return rules


WILDCARD_ONLY_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "dynamodb:ListStreams",
    "sns:Publish",
}


def test_resource_wildcards_are_acknowledged_only_where_unavoidable(template: Template) -> None:
    # A blanket "Resource::*" acknowledgement on a role would hide a future wildcard:
    # only small policies made of unavoidable wildcard statements carry one.
    acknowledged = {
        logical_id: resource
        for logical_id, resource in template.to_json()["Resources"].items()
        if any(
            rule["id"] == "AwsSolutions-IAM5" and "Resource::*" in rule.get("applies_to", [])
            for rule in _suppressions(resource)
        )
    }
    assert len(acknowledged) == 5  # three tracing policies, stream discovery, SMS
    for logical_id, resource in acknowledged.items():
        assert resource["Type"] == "AWS::IAM::Policy", logical_id
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        for statement in statements:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert statement["Resource"] == "*"
            assert set(actions) <= WILDCARD_ONLY_ACTIONS, (logical_id, actions)


def test_a_new_wildcard_in_a_role_would_be_reported(template: Template) -> None:
    # No role or default policy acknowledges Resource::* for all its statements.
    for logical_id, resource in template.to_json()["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role" or "DefaultPolicy" in logical_id:
            for rule in _suppressions(resource):
                assert "Resource::*" not in rule.get("applies_to", []), logical_id
