"""Where a brand sees Kairos at work and hears when it is not: the alarm topic and the
dashboard (functions, queues, dead letters, the API, delivery outcomes, journey steps).
Custom metrics are the ones kairos.metric_names lists; graphs of `detailed` ones stay
empty unless the stack is deployed with `kairos:metrics=detailed`. Journey steps
(ARCHITECTURE rule 5) are summed from the evaluator's and the sender's `step counters`
log lines with Logs Insights (kairos.step_counters): billed per GB scanned when someone
opens the dashboard, never as custom metrics. The counters in DynamoDB (`kairos stats`)
stay the source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import METRICS_NAMESPACE
from infra.nag import acknowledge
from kairos import metric_names

PERIOD = Duration.minutes(5)


class AlarmTopic(Construct):
    """The SNS topic every Kairos alarm notifies, optionally with an email subscription."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, email: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", topic_name=name, enforce_ssl=True)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "CloudWatch alarms cannot publish to a topic under the AWS managed SNS key, "
            "and alarm notifications carry alarm names only, no member data.",
        )


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        api: apigw.RestApi,
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
        dead_letters: Mapping[str, sqs.IQueue],
        stream_function: lambda_.IFunction,
        step_logs: Sequence[logs.ILogGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=name, default_interval=Duration.hours(6)
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="# Kairos\nWebhooks in → journeys → sends out. "
                "Every alarm and what to do when it fires: docs/deploy.md.",
                width=24,
                height=1,
            )
        )
        self.dashboard.add_widgets(
            graph("API requests", [api.metric_count(period=PERIOD)]),
            graph(
                "API errors",
                [api.metric_client_error(period=PERIOD), api.metric_server_error(period=PERIOD)],
            ),
            graph("API latency p99", [api.metric_latency(period=PERIOD, statistic="p99")]),
            graph(
                "Events received (metrics: detailed)",
                [_search('MetricName="EventsReceived"', "Sum", "events")],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Function errors",
                [fn.metric_errors(period=PERIOD, label=n) for n, fn in functions.items()],
            ),
            graph(
                "Function duration p99",
                [
                    fn.metric_duration(period=PERIOD, statistic="p99", label=n)
                    for n, fn in functions.items()
                ],
            ),
            graph(
                "Function throttles",
                [fn.metric_throttles(period=PERIOD, label=n) for n, fn in functions.items()],
            ),
            graph(
                "Stream lag (evaluator iterator age)",
                [stream_function.metric("IteratorAge", period=PERIOD, statistic="Maximum")],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Queue depth",
                [
                    q.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=c
                    )
                    for c, q in queues.items()
                ],
            ),
            graph(
                "Oldest message age (s)",
                [
                    q.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic="Maximum", label=c
                    )
                    for c, q in queues.items()
                ],
            ),
            graph(
                "Dead letters",
                [
                    q.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=c
                    )
                    for c, q in dead_letters.items()
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Deliveries by outcome",
                # The sender's Delivery_<status> counters: failed and quota_exceeded always,
                # every status with `kairos:metrics=detailed`.
                [_search("Delivery", "Sum", "deliveries")],
                width=12,
            ),
            graph(
                "Sends returned for retry (metrics: detailed)",
                [_search('MetricName="Retried"', "Sum", "retried")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.LogQueryWidget(
                title="Journey steps (from logs; kairos stats for exact totals)",
                log_group_names=[group.log_group_name for group in step_logs],
                query_lines=step_query(),
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=24,
                height=8,
            )
        )


def step_query() -> list[str]:
    """Logs Insights: each journey step's counters over the dashboard's time range."""
    sums = ", ".join(f"sum({name})" for name in metric_names.STEP_COUNTERS)
    return [
        f'filter message = "{metric_names.STEP_COUNTERS_LOG}"',
        f"stats {sums} by journey, step",
        "sort journey asc",
    ]


def graph(
    title: str, metrics: Sequence[cloudwatch.IMetric], width: int = 6
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


def _search(terms: str, statistic: str, label: str) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression=(
            f"SEARCH('Namespace=\"{METRICS_NAMESPACE}\" {terms}', "
            f"'{statistic}', {int(PERIOD.to_seconds())})"
        ),
        label=label,
        using_metrics={},
        period=PERIOD,
    )
