"""The dashboard shows the pipeline end to end; alarms reach people."""

from __future__ import annotations

import json
import re

from aws_cdk.assertions import Template

from kairos import metric_names
from tests.infra.conftest import queue_ids, resources


def dashboard_body(template: Template) -> str:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_alarm_topic_notifies_the_configured_email(template: Template) -> None:
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@acme.example"


def test_dashboard_shows_functions_queues_and_dead_letters(template: Template) -> None:
    body = dashboard_body(template)
    for metric in (
        "Errors",
        "Duration",
        "IteratorAge",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
    ):
        assert metric in body
    for queue_id in queue_ids(template).values():
        assert queue_id in body
    assert "Dead letters" in body


def test_dashboard_reads_no_per_journey_metrics(template: Template) -> None:
    # Journey and step figures are DynamoDB counters (`kairos stats`), not billed metrics.
    body = dashboard_body(template).replace("\\", "")
    assert "journey step" not in body


def test_dashboard_searches_only_for_metrics_the_functions_publish(template: Template) -> None:
    body = dashboard_body(template).replace("\\", "")
    searched = re.findall(r'MetricName="(\w+)"', body)
    assert searched
    assert set(searched) <= set(metric_names.HEALTH) | set(metric_names.DETAILED)


def test_dashboard_charts_delivery_outcomes(template: Template) -> None:
    body = dashboard_body(template).replace("\\", "")
    assert "SEARCH('Namespace=\"Kairos\" Delivery'" in body
