"""The development sign-in of `kairos local`: users from --console-user, and tokens
checked the way API Gateway's Cognito authorizer checks a pool's ID tokens."""

from __future__ import annotations

import pytest

from kairos.console.request import principal_of
from kairos_dev.local.console_auth import (
    ConsoleUser,
    ConsoleUserError,
    DevTokens,
    InvalidToken,
    parse_user,
    parse_users,
)


def test_users_default_to_an_admin_and_a_staff_member() -> None:
    assert parse_users(None) == (ConsoleUser("admin", "admin"), ConsoleUser("staff", "staff"))


def test_a_user_is_name_colon_role() -> None:
    assert parse_users(["ana:marketer"]) == (ConsoleUser("ana", "marketer"),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ana", "NAME:ROLE"),
        (":admin", "NAME:ROLE"),
        ("ana:boss", "staff, marketer, admin, not 'boss'"),
        ("ana:Admin", "not 'Admin'"),
    ],
)
def test_a_bad_user_is_refused_naming_the_problem(text: str, says: str) -> None:
    with pytest.raises(ConsoleUserError, match=says):
        parse_user(text)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ConsoleUserError, match="ana given more than once"):
        parse_users(["ana:staff", "ana:admin"])


def test_claims_reach_the_function_as_a_rest_api_passes_them() -> None:
    # Given a token issued to a marketer
    tokens = DevTokens(parse_users(["ana:marketer"]), clock=lambda: 1_800_000_000)
    token, expires_at = tokens.issue(ConsoleUser("ana", "marketer"))
    # When the local authorizer checks it
    claims = tokens.authorize(f"Bearer {token}")
    # Then every claim is a string, as API Gateway's REST authorizer flattens them
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["iss"] == "kairos-local-dev"
    assert claims["exp"] == "Fri Jan 15 16:00:00 UTC 2027"
    assert expires_at == 1_800_000_000 + 8 * 3600
    # And the layer reads the same caller from them
    principal = principal_of(claims)
    assert (principal.username, principal.email, principal.role) == (
        "ana",
        "ana@console.local",
        "marketer",
    )


def test_no_token_a_bad_one_or_an_expired_one_is_refused() -> None:
    now = [1_800_000_000.0]
    tokens = DevTokens(parse_users(None), clock=lambda: now[0])
    token, expires_at = tokens.issue(ConsoleUser("staff", "staff"))
    other = DevTokens(parse_users(None)).issue(ConsoleUser("staff", "staff"))[0]
    header, payload, signature = token.split(".")
    for authorization in (None, "", "Bearer", "Bearer nonsense", f"Bearer {other}",
                          f"Bearer {header}.{payload}x.{signature}"):  # fmt: skip
        with pytest.raises(InvalidToken):
            tokens.authorize(authorization)
    assert tokens.authorize(token)["cognito:username"] == "staff"  # the bare token works too
    now[0] = expires_at
    with pytest.raises(InvalidToken, match="expired"):
        tokens.authorize(f"Bearer {token}")
