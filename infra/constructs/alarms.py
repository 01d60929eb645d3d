"""Every Kairos alarm is made here: named `<prefix>-<kind>`, notifying the stack's SNS
topic, missing data treated as fine (a quiet queue is not a problem).

docs/deploy.md has one line per kind saying what to do when it fires; a test checks
that every alarm in the template is documented there.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kairos import metric_names

AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
METRICS_NAMESPACE = "Kairos"
"""The functions' custom metrics (Powertools EMF, dimension `service`)."""


def health_metric(name: str, service: str, period: Duration) -> cloudwatch.Metric:
    """The sum of a Kairos custom metric over `period`, for an alarm: only a health
    metric (kairos.metric_names.HEALTH), the only kind a default stack publishes."""
    if name not in metric_names.HEALTH:
        raise ValueError(f"{name} is not a health metric: an alarm on it would never fire")
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service},
        period=period,
        statistic="Sum",
    )


@dataclass(frozen=True)
class AlarmSink:
    """Where alarms go and how they are named: built once by the stack."""

    topic: sns.ITopic
    prefix: str

    def alarm(
        self,
        scope: Construct,
        kind: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        """An alarm `<prefix>-<kind>` at `metric >= threshold`, notifying the topic."""
        alarm = cloudwatch.Alarm(
            scope,
            "".join(part.capitalize() for part in kind.split("-")) + "Alarm",
            alarm_name=f"{self.prefix}-{kind}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=AT_LEAST,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        return alarm

    def dead_letters(
        self, scope: Construct, kind: str, queue: sqs.IQueue, description: str
    ) -> cloudwatch.Alarm:
        """One message waiting in a dead-letter queue is worth a look."""
        return self.alarm(
            scope,
            kind,
            metric=queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            description=description,
        )
