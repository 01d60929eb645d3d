"""cdk-nag acknowledgements, one call per finding, each with the reason it is acceptable."""

from __future__ import annotations

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct


def acknowledge(
    construct: IConstruct,
    rule: str,
    reason: str,
    applies_to: list[str] | None = None,
    applies_to_regex: list[str] | None = None,
) -> None:
    """Suppress `rule` on `construct` and its children.

    `applies_to` (exact findings) or `applies_to_regex` (ECMA-262, e.g. for generated
    logical ids) narrow it to specific findings, so new wildcards are still reported.
    """
    findings: list[str | RegexAppliesTo] = [*(applies_to or [])]
    findings += [RegexAppliesTo(regex=pattern) for pattern in applies_to_regex or []]
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=rule, reason=reason, applies_to=findings or None)],
        apply_to_children=True,
    )
