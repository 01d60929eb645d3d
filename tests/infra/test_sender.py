"""Delivery plumbing: per-channel queues with DLQs, bounded consumers, SES events."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import event_source_mappings, function_id, queue_ids, resources

CONCURRENCY = {"line": 10, "email": 2, "sms": 2}


@pytest.mark.parametrize("channel", CONCURRENCY)
def test_queue_redrives_poison_messages_to_its_own_dlq(template: Template, channel: str) -> None:
    queues = resources(template, "AWS::SQS::Queue")
    props = queues[queue_ids(template)[channel]]["Properties"]
    redrive = props["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 10
    dlq_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dlq_id in queues and dlq_id not in queue_ids(template).values()
    # A message must not reappear while a consumer still works on it.
    sender = resources(template, "AWS::Lambda::Function")[function_id(template, "sender")]
    assert props["VisibilityTimeout"] >= 6 * sender["Properties"]["Timeout"]


def test_each_channel_has_a_distinct_dlq(template: Template) -> None:
    queues = resources(template, "AWS::SQS::Queue")
    dlqs = {
        queues[qid]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for qid in queue_ids(template).values()
    }
    assert len(dlqs) == 3


@pytest.mark.parametrize("channel", CONCURRENCY)
def test_dlq_depth_raises_an_alarm(template: Template, channel: str) -> None:
    queues = resources(template, "AWS::SQS::Queue")
    dlq_id = queues[queue_ids(template)[channel]]["Properties"]["RedrivePolicy"][
        "deadLetterTargetArn"
    ]["Fn::GetAtt"][0]
    alarms = [
        alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [dlq_id, "QueueName"]}
    ]
    assert len(alarms) == 1
    assert alarms[0]["Threshold"] == 1
    assert alarms[0]["AlarmActions"]


@pytest.mark.parametrize(("channel", "concurrency"), CONCURRENCY.items())
def test_each_queue_has_its_own_bounded_consumer(
    template: Template, channel: str, concurrency: int
) -> None:
    queue_id = queue_ids(template)[channel]
    (mapping,) = [
        esm
        for esm in event_source_mappings(template, "sender")
        if esm["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": concurrency}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Sized from the sender benchmark (docs/sender.md, "Sizing"): batches of 100 need
    # a batching window (SQS refuses batches over 10 without one).
    assert mapping["BatchSize"] == 100
    assert mapping["MaximumBatchingWindowInSeconds"] == 1


def test_the_sender_has_a_full_vcpu(template: Template) -> None:
    sender = resources(template, "AWS::Lambda::Function")[function_id(template, "sender")]
    assert sender["Properties"]["MemorySize"] == 1769  # Lambda's one-vCPU size


def test_ses_engagement_events_go_to_eventbridge(template: Template) -> None:
    (destination,) = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    spec = destination["Properties"]["EventDestination"]
    assert spec["Enabled"] is True
    assert {"open", "click", "bounce", "complaint", "delivery"} <= set(spec["MatchingEventTypes"])
    assert ":event-bus/default" in str(spec["EventBridgeDestination"]["EventBusArn"])
