"""Every failure mode the brand must hear about raises an alarm to the stack's topic,
and docs/deploy.md says what to do when each fires."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.paths import ROOT
from kairos import metric_names
from tests.infra.conftest import FUNCTION_NAMES, function_id, queue_ids, resources

PREFIX = "kairos-acme-test-"


def alarms(template: Template) -> dict[str, dict[str, Any]]:
    """Alarm name without the stack prefix → its properties."""
    return {
        alarm["Properties"]["AlarmName"].removeprefix(PREFIX): alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
    }


def alarm(template: Template, kind: str) -> dict[str, Any]:
    found = alarms(template)
    assert kind in found, f"no alarm {kind}; have {sorted(found)}"
    return found[kind]


def topic_ref(template: Template) -> dict[str, str]:
    (topic,) = resources(template, "AWS::SNS::Topic")
    return {"Ref": topic}


def dimension(props: dict[str, Any], name: str) -> Any:
    return next(d["Value"] for d in props["Dimensions"] if d["Name"] == name)


def test_every_alarm_notifies_the_topic_and_is_named_for_the_stack(template: Template) -> None:
    for props in resources(template, "AWS::CloudWatch::Alarm").values():
        props = props["Properties"]
        assert props["AlarmName"].startswith(PREFIX)
        assert props["AlarmActions"] == [topic_ref(template)]
        assert props["TreatMissingData"] == "notBreaching"
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_alarm_in_the_template_has_a_line_in_the_deploy_guide(template: Template) -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    documented = {
        name
        for row in guide.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([a-z0-9-]+)`", row.split("|")[1])
    }
    assert set(alarms(template)) <= documented, sorted(set(alarms(template)) - documented)


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_throttles_raise_an_alarm(template: Template, name: str) -> None:
    props = alarm(template, f"{name}-throttles")
    assert props["MetricName"] == "Throttles" and props["Namespace"] == "AWS/Lambda"
    assert dimension(props, "FunctionName") == {"Ref": function_id(template, name)}
    assert props["Threshold"] == 1


def test_stream_failures_raise_an_alarm(template: Template) -> None:
    # Partial batch failures are not Lambda errors: only the queue shows them.
    props = alarm(template, "stream-failures")
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    queue = dimension(props, "QueueName")["Fn::GetAtt"][0]
    assert "StreamFailures" in queue and props["Threshold"] == 1


def test_stream_lag_raises_an_alarm(template: Template) -> None:
    props = alarm(template, "stream-lag")
    assert props["MetricName"] == "IteratorAge" and props["Statistic"] == "Maximum"
    assert dimension(props, "FunctionName") == {"Ref": function_id(template, "evaluator")}
    assert props["Threshold"] == 5 * 60 * 1000


@pytest.mark.parametrize("channel", ["line", "email", "sms"])
def test_late_sends_raise_an_alarm(template: Template, channel: str) -> None:
    props = alarm(template, f"{channel}-queue-age")
    assert props["MetricName"] == "ApproximateAgeOfOldestMessage"
    queue = dimension(props, "QueueName")["Fn::GetAtt"][0]
    assert queue == queue_ids(template)[channel]
    assert props["Threshold"] == 3600


def test_api_server_errors_raise_an_alarm(template: Template) -> None:
    props = alarm(template, "api-5xx")
    assert props["Namespace"] == "AWS/ApiGateway" and props["MetricName"] == "5XXError"
    assert props["Statistic"] == "Sum" and props["Threshold"] == 10


def test_failed_schedule_invocations_raise_an_alarm(template: Template) -> None:
    (rule,) = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression") == "rate(1 minute)"
    ]
    dlq = rule["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    props = alarm(template, "schedule-dead-letters")
    assert dimension(props, "QueueName") == {"Fn::GetAtt": [dlq, "QueueName"]}
    assert props["Threshold"] == 1


def test_line_monthly_quota_raises_an_alarm(template: Template) -> None:
    props = alarm(template, "line-monthly-quota")
    # The sender's `Delivery_quota_exceeded` counter (Powertools service dimension).
    assert props["Namespace"] == "Kairos"
    assert props["MetricName"] == "Delivery_quota_exceeded"
    assert props["Dimensions"] == [{"Name": "service", "Value": "sender"}]
    assert props["Threshold"] == 1


def test_failing_timers_raise_an_alarm(template: Template) -> None:
    props = alarm(template, "timers-failing")
    # A tick survives a failing timer, so only the evaluator's own count shows it.
    assert props["Namespace"] == "Kairos"
    assert props["MetricName"] == "TimersFailed"
    assert props["Dimensions"] == [{"Name": "service", "Value": "evaluator"}]
    assert props["Threshold"] == 1


def test_alarms_on_custom_metrics_read_health_metrics_published_by_default(
    template: Template,
) -> None:
    # An alarm on a `detailed` metric would never fire on a default stack.
    custom = [p for p in alarms(template).values() if p.get("Namespace") == "Kairos"]
    assert custom
    for props in custom:
        assert props["MetricName"] in metric_names.HEALTH


@pytest.mark.parametrize(
    ("kind", "metric", "threshold"),
    [
        ("ses-bounce-rate", "Reputation.BounceRate", 0.05),
        ("ses-complaint-rate", "Reputation.ComplaintRate", 0.001),
    ],
)
def test_ses_reputation_raises_an_alarm(
    template: Template, kind: str, metric: str, threshold: float
) -> None:
    props = alarm(template, kind)
    assert props["Namespace"] == "AWS/SES" and props["MetricName"] == metric
    assert props["Threshold"] == threshold


def test_undeliverable_email_events_raise_an_alarm(template: Template) -> None:
    props = alarm(template, "email-events-dead-letters")
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Threshold"] == 1
