"""SES engagement events come back: configuration set → default bus → rule → webhook."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from kairos.ingest.ses import DETAIL_TYPES
from tests.infra.conftest import function_id, resources


def engagement_rule(template: Template) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]
    return rule


def test_the_rule_takes_this_configuration_sets_engagement_events(template: Template) -> None:
    rule = engagement_rule(template)
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.ses"]
    assert (
        set(pattern["detail-type"])
        == {
            "Email Delivered",
            "Email Opened",
            "Email Clicked",
            "Email Bounced",
            "Email Complaint Received",
        }
        == set(DETAIL_TYPES)
    )
    # Other stages in the account publish to the same default bus: only ours.
    (configuration_set,) = resources(template, "AWS::SES::ConfigurationSet")
    tags = pattern["detail"]["mail"]["tags"]
    assert tags == {"ses:configuration-set": [{"Ref": configuration_set}]}
    assert "EventBusName" not in rule  # the default bus, where SES publishes


def test_the_rule_invokes_the_webhook_and_keeps_what_it_cannot_deliver(
    template: Template,
) -> None:
    (target,) = engagement_rule(template)["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(template, "webhook"), "Arn"]}
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert dlq in resources(template, "AWS::SQS::Queue")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    # Events the function fails on after Lambda's retries land in the same queue.
    (invoke_config,) = resources(template, "AWS::Lambda::EventInvokeConfig").values()
    props = invoke_config["Properties"]
    assert props["FunctionName"] == {"Ref": function_id(template, "webhook")}
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dlq, "Arn"]}


def test_eventbridge_may_invoke_the_webhook(template: Template) -> None:
    permissions = [
        p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
        and p["Properties"]["FunctionName"]
        == {"Fn::GetAtt": [function_id(template, "webhook"), "Arn"]}
    ]
    assert len(permissions) == 1
    assert "Rule" in json.dumps(permissions[0]["SourceArn"])
