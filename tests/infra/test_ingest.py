"""The public API: every route reaches the webhook function, throttled and logged."""

from __future__ import annotations

from aws_cdk.assertions import Template

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


def test_routes_are_proxied_to_the_webhook(template: Template) -> None:
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
    assert routes == {
        ("POST", "/line/webhook"),
        ("POST", "/shop/orders"),
        ("POST", "/events"),
        ("GET", "/t/{token}"),
        ("GET", "/u/{token}"),
        ("POST", "/u/{token}"),
    }
