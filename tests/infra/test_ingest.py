"""The public API: every route reaches the webhook function, throttled and logged."""

from __future__ import annotations

import json
import re

from aws_cdk.assertions import Template

from kairos.ingest.routes import ROUTES
from kairos_dev.local.functions import load_function
from tests.infra.conftest import function_id, resources


def test_stage_is_throttled(template: Template) -> None:
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    settings = stage["Properties"]["MethodSettings"]
    assert {
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "ThrottlingRateLimit": 100,
        "ThrottlingBurstLimit": 200,
        "DataTraceEnabled": False,
        "LoggingLevel": "ERROR",
        "MetricsEnabled": True,
    }.items() <= settings[0].items()


def test_stage_writes_access_logs_and_traces(template: Template) -> None:
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    group_id = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert group_id in resources(template, "AWS::Logs::LogGroup")
    assert '"status"' in props["AccessLogSetting"]["Format"]
    assert props["TracingEnabled"] is True
    assert props["StageName"] == "test"


def api_routes(template: Template) -> set[tuple[str, str]]:
    paths = {
        logical_id: resource["Properties"]["PathPart"]
        for logical_id, resource in resources(template, "AWS::ApiGateway::Resource").items()
    }
    parents = {
        logical_id: resource["Properties"]["ParentId"]
        for logical_id, resource in resources(template, "AWS::ApiGateway::Resource").items()
    }

    def full_path(logical_id: str) -> str:
        parent = parents[logical_id]
        prefix = full_path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{paths[logical_id]}"

    webhook = function_id(template, "webhook")
    routes = set()
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert webhook in str(integration["Uri"])
        routes.add((props["HttpMethod"], full_path(props["ResourceId"]["Ref"])))
    return routes


def served_routes() -> set[tuple[str, str]]:
    """What the webhook function's resolver answers, in API Gateway's path form."""
    app = load_function("webhook").app
    return {
        (route.method, re.sub(r"<(\w+)>", r"{\1}", route.path))
        for route in app._static_routes + app._dynamic_routes
    }


def test_every_route_is_proxied_to_the_webhook(template: Template) -> None:
    assert api_routes(template) == {(r.method, r.api_path) for r in ROUTES}


def test_the_api_and_the_function_serve_the_same_paths(template: Template) -> None:
    # A path the function serves but the API lacks 404s at API Gateway; the reverse
    # reaches a function that answers 404 itself.
    assert served_routes() == api_routes(template)


def test_unsubscribe_links_reach_the_function(template: Template) -> None:
    # Every email's List-Unsubscribe header points at /u/{token} (GET, and POST for
    # RFC 8058 one-click).
    assert {("GET", "/u/{token}"), ("POST", "/u/{token}")} <= api_routes(template)


def method_auth(template: Template) -> dict[tuple[str, str], str]:
    """(method, path) → the method's AuthorizationType."""
    paths = {
        logical_id: resource["Properties"]["PathPart"]
        for logical_id, resource in resources(template, "AWS::ApiGateway::Resource").items()
    }
    parents = {
        logical_id: resource["Properties"]["ParentId"]
        for logical_id, resource in resources(template, "AWS::ApiGateway::Resource").items()
    }

    def full_path(logical_id: str) -> str:
        parent = parents[logical_id]
        prefix = full_path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{paths[logical_id]}"

    return {
        (m["Properties"]["HttpMethod"], full_path(m["Properties"]["ResourceId"]["Ref"])): m[
            "Properties"
        ]["AuthorizationType"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
    }


def test_every_admin_method_is_iam_and_no_public_one_is(template: Template) -> None:
    found = method_auth(template)
    admin = {k: v for k, v in found.items() if k[1].startswith("/admin/")}
    console = {k: v for k, v in found.items() if k[1].startswith("/console/api/")}
    public = {k: v for k, v in found.items() if k not in admin and k not in console}
    assert admin and set(admin.values()) == {"AWS_IAM"}
    assert public and set(public.values()) == {"NONE"}
    assert set(admin) == {(r.method, r.api_path) for r in ROUTES if r.auth == "iam"}
    # The console's API needs a signed-in user of the pool (tests/infra/test_console.py).
    assert console and set(console.values()) == {"COGNITO_USER_POOLS"}
    assert set(console) == {(r.method, r.api_path) for r in ROUTES if r.auth == "cognito"}
    # The CSV export answers personal data in bulk: named here so a refactor of the
    # route list cannot leave it public.
    assert admin[("GET", "/admin/members/export")] == "AWS_IAM"


def test_the_admin_policy_invokes_the_admin_api_only(template: Template) -> None:
    policies = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if "admin API" in p["Properties"].get("Description", "")
    ]
    assert len(policies) == 1
    [statement] = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Effect"] == "Allow"
    resource = json.dumps(statement["Resource"])
    assert resource.count("/admin/*") == 1 and '"*"' not in resource
    outputs = template.to_json()["Outputs"]
    assert "Ref" in json.dumps(outputs["AdminPolicyArn"]["Value"])
