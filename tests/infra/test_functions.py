"""Every function carries the house defaults; each gets exactly the settings it needs."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from infra.project import MOUNT_POINT
from tests.infra.conftest import FUNCTION_NAMES, function_env, function_id, resources


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_runs_arm64_python313_with_tracing_and_both_layers(
    template: Template, name: str
) -> None:
    props = resources(template, "AWS::Lambda::Function")[function_id(template, name)]["Properties"]
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.13"
    assert props["Handler"] == "handler.handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = {ref["Ref"] for ref in props["Layers"]}
    kairos_layers = {
        logical_id
        for logical_id, layer in resources(template, "AWS::Lambda::LayerVersion").items()
        # BucketDeployment's own (the console's files) carries the AWS CLI.
        if layer["Properties"].get("Description") != "/opt/awscli/aws"
    }
    assert layers == kairos_layers


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_logs_to_its_own_group_with_retention(template: Template, name: str) -> None:
    props = resources(template, "AWS::Lambda::Function")[function_id(template, name)]["Properties"]
    group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert (
        resources(template, "AWS::Logs::LogGroup")[group_id]["Properties"]["RetentionInDays"] == 30
    )


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_logs_are_json_at_the_powertools_level(template: Template, name: str) -> None:
    props = resources(template, "AWS::Lambda::Function")[function_id(template, name)]["Properties"]
    logging = props["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"  # Lambda's own START/REPORT lines too
    # Lambda's application level must agree with Powertools', or one filters the other.
    assert logging["ApplicationLogLevel"] == function_env(template, name)["POWERTOOLS_LOG_LEVEL"]
    assert logging["SystemLogLevel"] == "WARN"


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_has_powertools_settings(template: Template, name: str) -> None:
    env = function_env(template, name)
    assert env["POWERTOOLS_SERVICE_NAME"] == name
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Kairos"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert env["KAIROS_PROJECT_DIR"] == MOUNT_POINT
    assert env["KAIROS_TIMELINE_TTL_DAYS"] == "730"
    # Only the health metrics by default (kairos.metric_names): each is billed monthly.
    assert env["KAIROS_METRICS"] == "health"


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_errors_raise_an_alarm_to_the_topic(template: Template, name: str) -> None:
    ref = {"Ref": function_id(template, name)}
    topics = list(resources(template, "AWS::SNS::Topic"))
    alarms = [
        alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Errors"
        and {"Name": "FunctionName", "Value": ref} in alarm["Properties"]["Dimensions"]
    ]
    assert len(alarms) == 1
    assert alarms[0]["AlarmActions"] == [{"Ref": topics[0]}]


def test_webhook_environment(template: Template) -> None:
    env = function_env(template, "webhook")
    assert env["KAIROS_LINE_SECRET_NAME"] == "acme/line"
    assert env["KAIROS_WEBHOOK_SECRET_NAME"] == "acme/webhook"
    assert env["KAIROS_TRACKING_SECRET_NAME"] == "kairos/acme/test/tracking"
    assert env["KAIROS_MEMBER_ID_SECRET_NAME"] == "kairos/acme/test/member-ids"
    assert env["KAIROS_EVENT_TTL_DAYS"] == "30"
    assert env["KAIROS_TIMELINE_TTL_DAYS"] == "730"
    assert "Ref" in env["KAIROS_TABLE"]
    # The webhook never uses the idempotency table (event markers live in the main one).
    assert "KAIROS_IDEMPOTENCY_TABLE" not in env


def test_evaluator_environment(template: Template) -> None:
    env = function_env(template, "evaluator")
    assert {"KAIROS_TABLE", "KAIROS_QUEUE_LINE", "KAIROS_QUEUE_EMAIL", "KAIROS_QUEUE_SMS"} <= set(
        env
    )
    assert env["KAIROS_MEMBER_ID_SECRET_NAME"] == "kairos/acme/test/member-ids"


def test_sender_environment(template: Template) -> None:
    env = function_env(template, "sender")
    assert env["KAIROS_LINE_SECRET_NAME"] == "acme/line"
    # Links are signed with the generated tracking key; the sender never sees the webhook key.
    assert env["KAIROS_TRACKING_SECRET_NAME"] == "kairos/acme/test/tracking"
    assert "KAIROS_WEBHOOK_SECRET_NAME" not in env
    assert env["KAIROS_SES_CONFIGURATION_SET"] == {
        "Ref": next(iter(resources(template, "AWS::SES::ConfigurationSet")))
    }
    # Tracked links point at the API's /t/ route.
    url_parts = env["KAIROS_TRACKING_BASE_URL"]["Fn::Join"][1]
    assert url_parts[-1].endswith("/t/")
    assert {"KAIROS_TABLE", "KAIROS_IDEMPOTENCY_TABLE"} <= set(env)


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_no_secret_value_in_environment(template: Template, name: str) -> None:
    # Secrets are referenced by name; their values are read at run time.
    env = function_env(template, name)
    for key in env:
        assert not key.endswith(("_TOKEN", "_SECRET", "_KEY", "_PASSWORD")), key
