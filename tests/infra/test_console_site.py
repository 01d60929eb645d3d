"""The console's distribution: a private bucket behind origin access control, the API
on the same origin, strict security headers, and the built files copied as they are."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.constructs.console import INDEX_REWRITE
from infra.stack import KairosStack
from tests.infra.conftest import only, resources

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def distribution(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = only(template, "AWS::CloudFront::Distribution")[1][
        "DistributionConfig"
    ]
    return config


def api_behaviour(template: Template) -> dict[str, Any]:
    behaviours: list[dict[str, Any]] = distribution(template)["CacheBehaviors"]
    (behaviour,) = [b for b in behaviours if b["PathPattern"] == "/console/api/*"]
    return behaviour


def csp(template: Template) -> dict[str, str]:
    """The Content-Security-Policy's directives, region left as `<region>`."""
    _, policy = only(template, "AWS::CloudFront::ResponseHeadersPolicy")
    value = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"
    ]
    text = "".join(p if isinstance(p, str) else "<region>" for p in value["Fn::Join"][1])
    directives = (d.strip().split(" ", 1) for d in text.split(";"))
    return {name: rest for name, rest in directives}


# ---- the distribution ------------------------------------------------------------------


def test_the_bucket_is_private_and_read_by_the_distribution_alone(template: Template) -> None:
    bucket_id, bucket = only(template, "AWS::S3::Bucket")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "WebsiteConfiguration" not in bucket
    _, policy = only(template, "AWS::S3::BucketPolicy")
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    distribution_id, _ = only(template, "AWS::CloudFront::Distribution")
    # Only CloudFront may read, and only on behalf of this distribution.
    (allow,) = allows
    assert allow["Action"] == "s3:GetObject"
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert {"Ref": distribution_id} in source["Fn::Join"][1]
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_bucket_is_reached_through_origin_access_control(template: Template) -> None:
    oac_id, oac = only(template, "AWS::CloudFront::OriginAccessControl")
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
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
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
    function_id, function = only(template, "AWS::CloudFront::Function")
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
    policy_id, policy = only(template, "AWS::CloudFront::ResponseHeadersPolicy")
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
    # Old hashed files stay for a console left open; the rest is exactly this build.
    assert (assets["Prune"], pages["Prune"]) == (False, True)
    for copy in copies.values():
        assert copy["DestinationBucketKeyPrefix"] == "console/"
        # A stack deletion empties the bucket.
        assert copy["RetainOnDelete"] is False
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
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    client_id, _ = only(template, "AWS::Cognito::UserPoolClient")
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
