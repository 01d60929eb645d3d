"""The console's users and API: who may sign in, and which methods need them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match, Template

from infra.config import ConfigError, KairosConfig
from infra.constructs.console import built_console
from infra.constructs.console_users import ConsoleUsers
from infra.paths import ROOT
from infra.stack import KairosStack
from kairos.ingest.routes import ROLES, ROUTES
from tests.infra.conftest import only, resources


def methods(template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) → the API method's properties."""
    nodes = resources(template, "AWS::ApiGateway::Resource")

    def full_path(logical_id: str) -> str:
        parent = nodes[logical_id]["Properties"]["ParentId"]
        prefix = full_path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{nodes[logical_id]['Properties']['PathPart']}"

    return {
        (m["Properties"]["HttpMethod"], full_path(m["Properties"]["ResourceId"]["Ref"])): m[
            "Properties"
        ]
        for m in resources(template, "AWS::ApiGateway::Method").values()
    }


# ---- who may call the console's API ----------------------------------------------------


def test_every_console_route_needs_a_user_of_the_pool(template: Template) -> None:
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    authorizer_id, authorizer = only(template, "AWS::ApiGateway::Authorizer")
    # Given the one Cognito authorizer, bound to the console's pool and reading the ID token
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    found = methods(template)
    for route in ROUTES:
        props = found[(route.method, route.api_path)]
        if route.auth == "cognito":
            # Then every console method uses it
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", route
            assert props["AuthorizerId"] == {"Ref": authorizer_id}, route
            # and asks for no OAuth scope: the ID token, not the access token, is checked
            assert "AuthorizationScopes" not in props, route
        else:
            # and every other method keeps its own authorization
            expected = {"none": "NONE", "iam": "AWS_IAM"}[route.auth]
            assert props["AuthorizationType"] == expected, route
            assert "AuthorizerId" not in props, route
    assert sum(r.auth == "cognito" for r in ROUTES) >= 20


# ---- the user pool -------------------------------------------------------------------


def test_staff_are_invited_never_sign_themselves_up(template: Template) -> None:
    _, pool = only(template, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    invitation = pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    assert "{username}" in invitation and "{####}" in invitation
    # User names are what the audit trail records as `by`; email is an alias.
    assert pool["AliasAttributes"] == ["email"]
    assert "UsernameAttributes" not in pool


def test_passwords_are_strong_and_mfa_is_totp(template: Template) -> None:
    _, pool = only(template, "AWS::Cognito::UserPool")
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[k]
        for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert pool["MfaConfiguration"] == "OPTIONAL"
    # An authenticator app only: no SMS codes (and no SMS role).
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "SmsConfiguration" not in pool
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [
        {"Name": "verified_email", "Priority": 1}
    ]


def test_a_brand_can_require_mfa_of_every_user() -> None:
    # Given kairos:consoleMfa=required
    assert config(consoleMfa="required").console_mfa == "required"
    with pytest.raises(ConfigError, match="kairos:consoleMfa"):
        config(consoleMfa="sometimes")
    # When the pool is built (alone: it needs nothing else of the stack)
    stack = Stack(App(), "Users")
    ConsoleUsers(stack, "Users", prefix="kairos-acme-test", domain_prefix="x", mfa_required=True)
    _, pool = only(Template.from_stack(stack), "AWS::Cognito::UserPool")
    # Then everyone enrols an authenticator app at sign-in
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_one_group_per_console_role(template: Template) -> None:
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    groups = {
        g["Properties"]["GroupName"]: g["Properties"]
        for g in resources(template, "AWS::Cognito::UserPoolGroup").values()
    }
    assert set(groups) == set(ROLES) == {"staff", "marketer", "admin"}
    assert all(g["UserPoolId"] == {"Ref": pool_id} for g in groups.values())
    # cognito:preferred_role follows the highest role.
    assert groups["admin"]["Precedence"] < groups["marketer"]["Precedence"]
    assert groups["marketer"]["Precedence"] < groups["staff"]["Precedence"]


def test_the_client_is_a_public_code_grant_client_returning_to_the_console(
    template: Template,
) -> None:
    client_id, client = only(template, "AWS::Cognito::UserPoolClient")
    # A browser keeps no secret: code grant, PKCE by the app, nothing implicit.
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    # The scopes the console asks for (console/src/lib/auth.ts), or Cognito refuses.
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    # The managed login pages prove passwords with SRP; no flow sends one in plain.
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    console_url = template.to_json()["Outputs"]["ConsoleUrl"]["Value"]
    assert client["CallbackURLs"] == [console_url] == client["LogoutURLs"]
    _, branding = only(template, "AWS::Cognito::ManagedLoginBranding")
    assert branding["ClientId"] == {"Ref": client_id}


def test_sign_in_happens_at_the_managed_login_domain(template: Template) -> None:
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    _, domain = only(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Domain"] == "kairos-acme-test"
    assert domain["UserPoolId"] == {"Ref": pool_id}
    assert domain["ManagedLoginVersion"] == 2


def test_a_missing_build_stops_the_synth_naming_the_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("make console-build")):
        built_console(tmp_path / "dist")
    (tmp_path / "dist").mkdir()
    with pytest.raises(ConfigError, match="kairos:consoleDist"):
        built_console(tmp_path / "dist")
    (tmp_path / "dist" / "index.html").write_text("<!doctype html>", encoding="utf-8")
    assert built_console(tmp_path / "dist") == tmp_path / "dist"


def config(**context: str) -> KairosConfig:
    return KairosConfig.from_context(
        App(context={f"kairos:{k}": v for k, v in context.items()}).node
    )


def test_the_built_console_is_found_from_the_repository_root() -> None:
    assert config().console_dist == ROOT / "console" / "dist"
    assert config(consoleDist="build/console").console_dist == ROOT / "build" / "console"
    assert config(consoleDist="/srv/console").console_dist == Path("/srv/console")


def test_the_sign_in_domain_prefix_follows_the_brand_unless_set() -> None:
    assert config(brand="yuemeng", stage="prod").console_domain_prefix == "kairos-yuemeng-prod"
    assert config(consoleDomainPrefix="yuemeng-staff").console_domain_prefix == "yuemeng-staff"


@pytest.mark.parametrize("brand", ["amazonia", "awsome", "mycognito"])
def test_a_prefix_cognito_refuses_is_refused_at_synth(brand: str) -> None:
    with pytest.raises(ConfigError, match="kairos:consoleDomainPrefix"):
        config(brand=brand)


# ---- outputs and checks ----------------------------------------------------------------


def test_the_stack_outputs_the_console_url_and_the_pool(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    distribution_id, _ = only(template, "AWS::CloudFront::Distribution")
    assert outputs["ConsoleUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/console/"]]
    }
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_id}


def test_cdk_nag_finds_nothing_unacknowledged_in_the_console(
    stack: KairosStack, template: Template
) -> None:
    annotations = Annotations.from_stack(stack)
    findings = [
        *annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")),
        *annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")),
    ]
    assert [f"{f.id}: {f.entry.data}" for f in findings] == []
    # Every acknowledgement in the console's part says why.
    for logical_id, resource in template.to_json()["Resources"].items():
        if logical_id.startswith(("Console", "CustomCDKBucketDeployment")):
            for rule in (
                resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
            ):
                assert len(rule["reason"]) > 40, (logical_id, rule["id"])
