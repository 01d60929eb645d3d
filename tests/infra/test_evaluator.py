"""The evaluator's triggers: a stream mapping that isolates bad records, and a clock."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from tests.infra.conftest import event_source_mappings, function_id, resources


def stream_mapping(template: Template) -> dict[str, Any]:
    (mapping,) = [
        esm
        for esm in event_source_mappings(template, "evaluator")
        if "StreamArn" in str(esm["EventSourceArn"])
    ]
    return mapping


def test_stream_mapping_reports_partial_failures_and_bisects(template: Template) -> None:
    mapping = stream_mapping(template)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["StartingPosition"] == "TRIM_HORIZON"


def test_stream_retries_are_bounded_then_go_to_a_failure_queue(template: Template) -> None:
    mapping = stream_mapping(template)
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert mapping["MaximumRecordAgeInSeconds"] > 0
    queue_id = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert queue_id in resources(template, "AWS::SQS::Queue")


def test_stream_reads_the_main_table(template: Template) -> None:
    mapping = stream_mapping(template)
    table_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    table = resources(template, "AWS::DynamoDB::Table")[table_id]["Properties"]
    assert table["TableName"] == "kairos-acme-test-main"


def test_only_member_profile_records_reach_the_evaluator(template: Template) -> None:
    (rule,) = stream_mapping(template)["FilterCriteria"]["Filters"]
    assert json.loads(rule["Pattern"]) == {"dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}}


def test_schedule_invokes_the_evaluator_every_minute(template: Template) -> None:
    (props,) = [
        rule["Properties"]
        for rule in resources(template, "AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    ]
    assert props["ScheduleExpression"] == "rate(1 minute)"
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(template, "evaluator"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    # A tick EventBridge could not deliver is kept (and alarmed), not dropped.
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert dlq_id in resources(template, "AWS::SQS::Queue")
