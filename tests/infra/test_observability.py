"""The dashboard shows the pipeline end to end; alarms reach people."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Template

from kairos import metric_names
from tests.infra.conftest import function_id, queue_ids, resources


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


def log_group_of(template: Template, name: str) -> str:
    props = resources(template, "AWS::Lambda::Function")[function_id(template, name)]
    group: str = props["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    return group


def widgets(template: Template) -> list[dict[str, Any]]:
    """The dashboard body's widgets, each CloudFormation reference as `${<logical id>}`."""
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(p if isinstance(p, str) else "${" + _reference(p) + "}" for p in parts)
    found: list[dict[str, Any]] = json.loads(text)["widgets"]
    return found


def _reference(token: dict[str, Any]) -> str:
    if "Ref" in token:
        return str(token["Ref"])
    if "Fn::GetAtt" in token:
        return ".".join(token["Fn::GetAtt"])
    return next(iter(token))  # a pseudo-function the tests below do not look into


def test_dashboard_shows_journey_steps_from_the_evaluator_and_sender_logs(
    template: Template,
) -> None:
    # Rule 5 at no metric cost: a Logs Insights table of the `step counters` log lines
    (steps,) = [w for w in widgets(template) if w["type"] == "log"]
    query = steps["properties"]["query"]
    groups = {f"${{{log_group_of(template, n)}}}" for n in ("evaluator", "sender")}
    assert set(re.findall(r"SOURCE '([^']+)'", query)) == groups
    pipeline = query.split("|", len(groups))[-1]
    assert f'filter message = "{metric_names.STEP_COUNTERS_LOG}"' in pipeline
    for name in ("entered", "sent", "failed", "opened", "clicked", "converted", "exited"):
        assert f"sum({name})" in pipeline
    assert pipeline.rstrip().split("| stats ")[1].split(" by ")[1].startswith("journey, step")
    assert steps["properties"]["view"] == "table"


def test_dashboard_reads_no_per_journey_metrics(template: Template) -> None:
    # Step figures on the dashboard come from logs; no metric widget searches for
    # journey or step dimensions (they exist only with `kairos:metrics=detailed`).
    metric_widgets = [w for w in widgets(template) if w["type"] == "metric"]
    assert metric_widgets
    for widget in metric_widgets:
        assert "journey" not in json.dumps(widget["properties"]["metrics"])


def test_dashboard_searches_only_for_metrics_the_functions_publish(template: Template) -> None:
    body = dashboard_body(template).replace("\\", "")
    searched = re.findall(r'MetricName="(\w+)"', body)
    assert searched
    assert set(searched) <= set(metric_names.HEALTH) | set(metric_names.DETAILED)


def test_dashboard_charts_delivery_outcomes(template: Template) -> None:
    body = dashboard_body(template).replace("\\", "")
    assert "SEARCH('Namespace=\"Kairos\" Delivery'" in body
