"""The console: who may sign in, which API methods need them, and how it is served."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match, Template

from infra.config import ConfigError, KairosConfig
from infra.constructs.console import INDEX_REWRITE, ConsoleUsers, built_console
from infra.stack import KairosStack
from kairos.ingest.routes import ROLES, ROUTES
from tests.infra.conftest import resources

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def one(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources(template, kind).items()
    return found[0], found[1]["Properties"]


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


def distribution(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = one(template, "AWS::CloudFront::Distribution")[1]["DistributionConfig"]
    return config


def api_behaviour(template: Template) -> dict[str, Any]:
    behaviours: list[dict[str, Any]] = distribution(template)["CacheBehaviors"]
    (behaviour,) = [b for b in behaviours if b["PathPattern"] == "/console/api/*"]
    return behaviour


def csp(template: Template) -> dict[str, str]:
    """The Content-Security-Policy's directives, region left as `<region>`."""
    _, policy = one(template, "AWS::CloudFront::ResponseHeadersPolicy")
    value = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"
    ]
    text = "".join(p if isinstance(p, str) else "<region>" for p in value["Fn::Join"][1])
    directives = (d.strip().split(" ", 1) for d in text.split(";"))
    return {name: rest for name, rest in directives}


# ---- who may call the console's API ----------------------------------------------------


def test_every_console_route_needs_a_user_of_the_pool(template: Template) -> None:
    pool_id, _ = one(template, "AWS::Cognito::UserPool")
    authorizer_id, authorizer = one(template, "AWS::ApiGateway::Authorizer")
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
    _, pool = one(template, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    invitation = pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    assert "{username}" in invitation and "{####}" in invitation
    # User names are what the audit trail records as `by`; email is an alias.
    assert pool["AliasAttributes"] == ["email"]
    assert "UsernameAttributes" not in pool


def test_passwords_are_strong_and_mfa_is_totp(template: Template) -> None:
    _, pool = one(template, "AWS::Cognito::UserPool")
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
    _, pool = one(Template.from_stack(stack), "AWS::Cognito::UserPool")
    # Then everyone enrols an authenticator app at sign-in
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_one_group_per_console_role(template: Template) -> None:
    pool_id, _ = one(template, "AWS::Cognito::UserPool")
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
    client_id, client = one(template, "AWS::Cognito::UserPoolClient")
    # A browser keeps no secret: code grant, PKCE by the app, nothing implicit.
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    # The scopes the console asks for (console/src/lib/auth.ts), or Cognito refuses.
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    # Passwords are typed into the managed login pages only.
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    console_url = template.to_json()["Outputs"]["ConsoleUrl"]["Value"]
    assert client["CallbackURLs"] == [console_url] == client["LogoutURLs"]
    _, branding = one(template, "AWS::Cognito::ManagedLoginBranding")
    assert branding["ClientId"] == {"Ref": client_id}


def test_sign_in_happens_at_the_managed_login_domain(template: Template) -> None:
    pool_id, _ = one(template, "AWS::Cognito::UserPool")
    _, domain = one(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Domain"] == "kairos-acme-test"
    assert domain["UserPoolId"] == {"Ref": pool_id}
    assert domain["ManagedLoginVersion"] == 2


# ---- the distribution ------------------------------------------------------------------


def test_the_bucket_is_private_and_read_by_the_distribution_alone(template: Template) -> None:
    bucket_id, bucket = one(template, "AWS::S3::Bucket")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "WebsiteConfiguration" not in bucket
    _, policy = one(template, "AWS::S3::BucketPolicy")
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    distribution_id, _ = one(template, "AWS::CloudFront::Distribution")
    assert allows == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
            "Condition": {"StringEquals": {"AWS:SourceArn": allows[0]["Condition"]
                          ["StringEquals"]["AWS:SourceArn"]}},
        }
    ]  # fmt: skip
    assert distribution_id in json.dumps(allows[0]["Condition"])
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_bucket_is_reached_through_origin_access_control(template: Template) -> None:
    oac_id, oac = one(template, "AWS::CloudFront::OriginAccessControl")
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    (s3_origin,) = [o for o in distribution(template)["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    default = distribution(template)["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == s3_origin["Id"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"


def test_the_api_is_reached_same_origin_uncached_with_the_viewers_headers(
    template: Template,
) -> None:
    behaviour = api_behaviour(template)
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    # Every viewer header (Authorization too, allowed as caching is off) but Host.
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(behaviour["AllowedMethods"]) >= {"GET", "POST", "DELETE"}
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    (origin,) = [o for o in distribution(template)["Origins"] if o["Id"] == behaviour["TargetOriginId"]]  # fmt: skip
    api_id, _ = one(template, "AWS::ApiGateway::RestApi")
    assert api_id in json.dumps(origin["DomainName"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # The stage is the origin path, so /console/api/me reaches /<stage>/console/api/me.
    assert "OriginPath" in origin


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("uri", "answer"),
    [
        ("/console/", {"uri": "/console/index.html"}),
        ("/console", {"statusCode": 308, "location": "/console/"}),
        ("/", {"statusCode": 308, "location": "/console/"}),
        ("/console/assets/index-3f2a.js", {"uri": "/console/assets/index-3f2a.js"}),
        ("/console/config.json", {"uri": "/console/config.json"}),
    ],
)
def test_the_console_path_serves_its_index(uri: str, answer: dict[str, Any]) -> None:
    script = (
        INDEX_REWRITE
        + f"var r = handler({{request: {{uri: {json.dumps(uri)}, headers: {{}}}}}});"
        + "console.log(JSON.stringify(r.statusCode ? {statusCode: r.statusCode,"
        + " location: r.headers.location.value} : {uri: r.uri}));"
    )
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == answer


def test_the_index_rewrite_runs_on_the_default_behaviour(template: Template) -> None:
    function_id, function = one(template, "AWS::CloudFront::Function")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == INDEX_REWRITE
    (association,) = distribution(template)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]},
    }
    assert "FunctionAssociations" not in api_behaviour(template)


def test_only_the_consoles_own_scripts_run(template: Template) -> None:
    policy = csp(template)
    sign_in = "https://kairos-acme-test.auth.<region>.amazoncognito.com"
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == f"'self' {sign_in}"
    assert policy["form-action"] == f"'self' {sign_in}"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert not any("unsafe" in v or "*" in v for v in policy.values())


def test_every_answer_carries_the_security_headers(template: Template) -> None:
    policy_id, policy = one(template, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 86400
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert all(h.get("Override", True) for h in headers.values())
    for behaviour in [distribution(template)["DefaultCacheBehavior"], api_behaviour(template)]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": policy_id}


# ---- the console's files ---------------------------------------------------------------


def deployments(template: Template) -> dict[str, dict[str, Any]]:
    found = resources(template, "Custom::CDKBucketDeployment")
    return {
        ("assets" if "Assets" in logical_id else "pages"): d["Properties"]
        for logical_id, d in found.items()
    }


def test_hashed_assets_are_cached_and_pages_revalidated(template: Template) -> None:
    copies = deployments(template)
    assert set(copies) == {"assets", "pages"}
    assets, pages = copies["assets"], copies["pages"]
    assert (assets["Exclude"], assets["Include"]) == (["*"], ["assets/*"])
    assert assets["SystemMetadata"]["cache-control"] == "public, max-age=31536000, immutable"
    assert pages["Exclude"] == ["assets/*", ".*"] and "Include" not in pages
    assert pages["SystemMetadata"]["cache-control"] == "no-cache"
    for copy in copies.values():
        assert copy["DestinationBucketKeyPrefix"] == "console/"
        # Each prunes only its own files; a stack deletion empties the bucket.
        assert copy["Prune"] is True and copy["RetainOnDelete"] is False
        # No invalidation: nothing needs one, and it would need cloudfront:* on "*".
        assert "DistributionId" not in copy


def _deploy_time(value: dict[str, Any]) -> Any:
    """A marker's value (a quoted Fn::Join) as the CloudFormation value it writes."""
    parts = list(value["Fn::Join"][1])
    parts[0], parts[-1] = parts[0].removeprefix('"'), parts[-1].removesuffix('"')
    parts = [p for p in parts if p != ""]
    return parts[0] if len(parts) == 1 else {"Fn::Join": ["", parts]}


def config_json(synthesized: tuple[App, KairosStack], template: Template) -> dict[str, Any]:
    """The deployed config.json, each deploy-time value in its CloudFormation form."""
    app, _ = synthesized
    pages = deployments(template)["pages"]
    for key, markers in zip(pages["SourceObjectKeys"], pages["SourceMarkers"], strict=True):
        path = Path(app.outdir) / f"asset.{key.removesuffix('.zip')}" / "config.json"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for marker, value in markers.items():
                text = text.replace(marker, json.dumps(_deploy_time(value)))
            loaded: dict[str, Any] = json.loads(text)
            return loaded
    raise AssertionError("no config.json among the console's files")


def test_config_json_names_the_pool_client_and_domain(
    synthesized: tuple[App, KairosStack], template: Template
) -> None:
    config = config_json(synthesized, template)
    pool_id, _ = one(template, "AWS::Cognito::UserPool")
    client_id, _ = one(template, "AWS::Cognito::UserPoolClient")
    assert config["auth"] == "cognito"
    assert config["apiBase"] == "/console/api"
    assert config["userPoolId"] == {"Ref": pool_id}
    assert config["clientId"] == {"Ref": client_id}
    assert config["region"] == {"Ref": "AWS::Region"}
    assert "kairos-acme-test.auth." in json.dumps(config["domain"])
    assert config["redirectUri"] == template.to_json()["Outputs"]["ConsoleUrl"]["Value"]


def test_the_copy_runs_with_its_own_role_and_no_docker(
    synthesized: tuple[App, KairosStack], template: Template
) -> None:
    # Its handler is prebuilt: the assembly holds files only, no image to build.
    app, stack = synthesized
    manifest = json.loads(
        (Path(app.outdir) / f"{stack.artifact_id}.assets.json").read_text(encoding="utf-8")
    )
    assert manifest.get("dockerImages", {}) == {}
    ((role_id, role),) = [
        (k, r) for k, r in resources(template, "AWS::IAM::Role").items() if "ConsoleDeploy" in k
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    handlers = [
        f["Properties"]
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if "CDKBucketDeployment" in k
    ]
    assert [h["Role"] for h in handlers] == [{"Fn::GetAtt": [role_id, "Arn"]}]


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
    distribution_id, _ = one(template, "AWS::CloudFront::Distribution")
    assert outputs["ConsoleUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/console/"]]
    }
    pool_id, _ = one(template, "AWS::Cognito::UserPool")
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
