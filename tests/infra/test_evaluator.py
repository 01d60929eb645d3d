"""The evaluator's triggers: a stream mapping that isolates bad records, a clock, and a
daily rule that reads LINE's unit statistics."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from kairos.reports.line_units import RefreshEvent
from tests.infra.conftest import (
    event_source_mappings,
    function_env,
    function_id,
    resources,
    role_statements,
)


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


def scheduled_rules(template: Template) -> dict[str, dict[str, Any]]:
    """Schedule expression → the rule's properties."""
    return {
        rule["Properties"]["ScheduleExpression"]: rule["Properties"]
        for rule in resources(template, "AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    }


def test_schedule_invokes_the_evaluator_every_minute(template: Template) -> None:
    props = scheduled_rules(template)["rate(1 minute)"]
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(template, "evaluator"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    # A tick EventBridge could not deliver is kept (and alarmed), not dropped.
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert dlq_id in resources(template, "AWS::SQS::Queue")


def test_a_daily_rule_has_the_evaluator_refresh_lines_unit_statistics(template: Template) -> None:
    rules = scheduled_rules(template)
    assert set(rules) == {"rate(1 minute)", "cron(30 19 * * ? *)"}  # 03:30 in Taipei
    props = rules["cron(30 19 * * ? *)"]
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(template, "evaluator"), "Arn"]}
    # A constant input naming the job, with the rule's scheduled time as its "now".
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"time": "$.time"}
    template_text = transformer["InputTemplate"].replace("<time>", '"2026-03-04T19:30:00Z"')
    event = json.loads(template_text)
    assert event == {"kairos": "refresh-line-units", "time": "2026-03-04T19:30:00Z"}
    assert RefreshEvent.model_validate(event).time.hour == 19
    assert 0 < target["RetryPolicy"]["MaximumRetryAttempts"] <= 2


def test_the_evaluator_may_read_the_line_secret_to_ask_line(template: Template) -> None:
    env = function_env(template, "evaluator")
    assert env["KAIROS_LINE_SECRET_NAME"] == "acme/line"
    assert env["KAIROS_LINE_API_ENDPOINT"] == "https://api.line.me"
    reads = [
        s
        for s in role_statements(template, "evaluator")
        if "secretsmanager:GetSecretValue" in s["Action"] and "acme/line" in json.dumps(s)
    ]
    assert len(reads) == 1 and reads[0]["Effect"] == "Allow"
