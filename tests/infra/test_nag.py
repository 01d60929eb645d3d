"""cdk-nag AwsSolutions: no finding may pass unacknowledged."""

from __future__ import annotations

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
