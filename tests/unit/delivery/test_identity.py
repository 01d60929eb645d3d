"""The SES identity must cover kairos.yaml's `from` before the first send."""

from __future__ import annotations

import pytest

from kairos.delivery.identity import IdentityMismatch, covers, resolve_identity, sender_address


@pytest.mark.parametrize(
    ("identity", "from_", "expected"),
    [
        ("yuemeng.example", "hello@yuemeng.example", True),
        ("yuemeng.example", "悅夢 <Hello@Yuemeng.Example>", True),
        ("yuemeng.example", "news@mail.yuemeng.example", True),  # a subdomain
        ("hello@yuemeng.example", "hello@yuemeng.example", True),
        ("shop.example", "hello@yuemeng.example", False),  # the shipped mismatch
        ("hello@yuemeng.example", "news@yuemeng.example", False),
        ("mail.yuemeng.example", "hello@yuemeng.example", False),  # parent not covered
        ("meng.example", "hello@yuemeng.example", False),  # a suffix is not a subdomain
    ],
)
def test_covers(identity: str, from_: str, expected: bool) -> None:
    assert covers(identity, from_) is expected


def test_identity_is_derived_from_the_from_address() -> None:
    assert resolve_identity(None, "悅夢 <hello@yuemeng.example>") == "yuemeng.example"
    assert resolve_identity("", "hello@yuemeng.example") == "yuemeng.example"


def test_a_configured_identity_is_checked() -> None:
    assert resolve_identity("Yuemeng.Example", "hello@yuemeng.example") == "yuemeng.example"
    with pytest.raises(IdentityMismatch) as failure:
        resolve_identity("shop.example", "hello@yuemeng.example")
    message = str(failure.value)
    assert "'shop.example'" in message and "'hello@yuemeng.example'" in message
    assert "kairos:emailIdentity=yuemeng.example" in message  # the fix


def test_a_from_that_is_no_address_is_refused() -> None:
    with pytest.raises(IdentityMismatch, match="not an email address"):
        sender_address("Yuemeng")
