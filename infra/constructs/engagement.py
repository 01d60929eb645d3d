"""Email engagement back into member timelines: the SES configuration set's events on the
default EventBridge bus → a rule (this configuration set only) → the webhook function,
which turns them into `email.*` member events (`kairos.ingest.ses`).

EventBridge invokes the function asynchronously: an event EventBridge cannot deliver,
and one the function still fails after Lambda's retries, both land in one dead-letter
queue with an alarm. The account's SES reputation (bounce and complaint rates) is
alarmed here too: SES pauses sending for an account that stays above its limits.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import AlarmSink
from infra.nag import acknowledge
from kairos.ingest.ses import event_pattern

# AWS reviews an account whose bounce rate reaches 5% or complaint rate 0.1%, and may
# pause its sending at 10% / 0.5%: the alarms fire at the first mark.
BOUNCE_RATE_ALARM = 0.05
COMPLAINT_RATE_ALARM = 0.001


class EmailEngagement(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        configuration_set: str,
        function: lambda_.IFunction,
        alarms: AlarmSink,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "Dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the email engagement rule and "
            "of the webhook's asynchronous invocations.",
        )
        pattern = event_pattern(configuration_set)
        self.rule = events.Rule(
            self,
            "Rule",
            description="Kairos: SES engagement events of this stack's configuration set",
            # SES publishes only to the account's default bus (the rule's default).
            event_pattern=events.EventPattern(
                source=pattern["source"],
                detail_type=pattern["detail-type"],
                detail=pattern["detail"],
            ),
            targets=[
                targets.LambdaFunction(
                    function,
                    retry_attempts=8,
                    max_event_age=Duration.hours(6),
                    dead_letter_queue=self.dead_letters,
                )
            ],
        )
        # Invoked asynchronously: an event the function keeps failing (say, a member
        # busy for minutes) is kept rather than dropped after Lambda's two retries.
        # The API invokes it synchronously, so this touches the SES path only.
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.dead_letters),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )
        alarms.dead_letters(
            self,
            "email-events-dead-letters",
            self.dead_letters,
            "Kairos webhook: SES engagement events could not be applied; bounces and "
            "complaints may not suppress addresses until they are redriven",
        )
        alarms.alarm(
            self,
            "ses-bounce-rate",
            metric=_reputation("Reputation.BounceRate"),
            threshold=BOUNCE_RATE_ALARM,
            description="SES account bounce rate reached "
            f"{BOUNCE_RATE_ALARM:.0%}: AWS reviews the account (pauses sending at 10%)",
        )
        alarms.alarm(
            self,
            "ses-complaint-rate",
            metric=_reputation("Reputation.ComplaintRate"),
            threshold=COMPLAINT_RATE_ALARM,
            description="SES account complaint rate reached "
            f"{COMPLAINT_RATE_ALARM:.1%}: AWS reviews the account (pauses sending at 0.5%)",
        )


def _reputation(name: str) -> cloudwatch.Metric:
    # Account-wide, without dimensions: SES computes it over a representative volume.
    return cloudwatch.Metric(
        namespace="AWS/SES", metric_name=name, period=Duration.hours(1), statistic="Maximum"
    )
