"""The evaluator function and what invokes it: the table's stream (something changed)
and a schedule (time passed). It moves enrolments and puts sends on the channel queues.
A daily rule has it read LINE's unit statistics (opens and clicks of every LINE send
step, last 14 days) and keep them beside the step counters (kairos.reports.line_units).

Stream records that fail after retries land on an SQS queue instead of blocking the
shard; one bad record is isolated by bisecting the batch and by partial batch responses.
Only member-profile records reach the function: the webhook's atomic write always
updates the profile (`last_event`), so it alone tells the evaluator what happened.

Alarms: a record in the stream-failures queue, stream lag (iterator age), and a
schedule event EventBridge could not deliver (it goes to the tick's dead-letter queue).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import health_metric
from infra.constructs.function import (
    FunctionDefaults,
    KairosFunction,
    wildcard_policy,
)
from infra.constructs.keys import NamedSecret
from infra.constructs.storage import grant_items
from infra.nag import acknowledge
from infra.project import MOUNT_POINT
from kairos.reports.line_units import JOB as LINE_UNITS_JOB
from kairos.store.keys import PROFILE_SK
from kairos.store.schema import MAIN

# Only member-profile records: {"dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}}.
assert MAIN.sort_key is not None
PROFILE_RECORDS = {
    "dynamodb": {"Keys": {MAIN.sort_key: {"S": lambda_.FilterRule.is_equal(PROFILE_SK)}}}
}

# Older unprocessed records go to the failure queue rather than hold up the shard.
MAX_RECORD_AGE = Duration.hours(24)
TIMEOUT = Duration.seconds(60)

# The evaluator is this far behind the table's changes: journeys react late.
STREAM_LAG_ALARM = Duration.minutes(5)

# LINE's unit statistics once a day, at 03:30 in Taipei (19:30 UTC; cron is in UTC):
# LINE updates a unit's figures for 14 days after a send, and each read costs one
# request per LINE send step.
LINE_UNITS_SCHEDULE = events.Schedule.cron(minute="30", hour="19")
LINE_API_ENDPOINT = "https://api.line.me"

STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)


class Evaluator(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        defaults: FunctionDefaults,
        table: dynamodb.ITable,
        queues: dict[str, sqs.IQueue],
        member_id_secret: NamedSecret,
        line_secret: secretsmanager.ISecret,
        batch_size: int = 100,
        retry_attempts: int = 5,
        max_record_age: Duration = MAX_RECORD_AGE,
        timeout: Duration = TIMEOUT,
        schedule: events.Schedule | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = KairosFunction(
            self,
            "Function",
            name="evaluator",
            code_dir=code_dir,
            defaults=defaults,
            description="Kairos evaluator: start, advance and exit journeys; enqueue sends",
            timeout=timeout,
            environment={
                "KAIROS_TABLE": table.table_name,
                **{f"KAIROS_QUEUE_{channel.upper()}": q.queue_url for channel, q in queues.items()},
                "KAIROS_PROJECT_DIR": MOUNT_POINT,
                # Journey-made events may create members: the same ids as the webhook's.
                "KAIROS_MEMBER_ID_SECRET_NAME": member_id_secret.name,
                # The daily job reads LINE's unit statistics with the channel token.
                "KAIROS_LINE_SECRET_NAME": line_secret.secret_name,
                "KAIROS_LINE_API_ENDPOINT": LINE_API_ENDPOINT,
            },
        )
        member_id_secret.secret.grant_read(self.handler.role)
        line_secret.grant_read(self.handler.role)
        function = self.handler.function
        grant_items(self.handler.role, table, MAIN, write=True)
        for queue in queues.values():
            queue.grant_send_messages(self.handler.role)

        self.stream_failures = sqs.Queue(
            self,
            "StreamFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.stream_failures,
            "AwsSolutions-SQS3",
            "This queue is itself the failure destination of the stream mapping: it "
            "holds descriptions of stream records that exhausted their retries.",
        )

        # The mapping is declared directly (not `DynamoEventSource`) so its wildcard
        # `dynamodb:ListStreams` gets a policy of its own instead of joining the role's
        # default policy; the other stream reads name the stream.
        assert table.table_stream_arn is not None
        iam.Grant.add_to_principal(
            grantee=self.handler.role,
            actions=list(STREAM_READ_ACTIONS),
            resource_arns=[table.table_stream_arn],
        )
        stream_discovery = wildcard_policy(
            self,
            "StreamDiscoveryPolicy",
            self.handler.role,
            ["dynamodb:ListStreams"],
            "dynamodb:ListStreams has no resource-level permissions; Lambda's stream "
            "event source mapping needs it to find the table's stream.",
        )
        self.stream_mapping = lambda_.EventSourceMapping(
            self,
            "StreamMapping",
            target=function,
            event_source_arn=table.table_stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=batch_size,
            bisect_batch_on_error=True,
            retry_attempts=retry_attempts,
            max_record_age=max_record_age,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.stream_failures),
            filters=[lambda_.FilterCriteria.filter(PROFILE_RECORDS)],
        )
        # The mapping must not be created before its role may read the stream.
        self.stream_mapping.node.add_dependency(stream_discovery)
        self.stream_mapping.node.add_dependency(self.handler.role)
        defaults.alarms.dead_letters(
            self,
            "stream-failures",
            self.stream_failures,
            "Kairos evaluator: stream records exhausted their retries (partial batch "
            "failures are not Lambda errors); those member changes were not evaluated",
        )
        defaults.alarms.alarm(
            self,
            "stream-lag",
            metric=function.metric("IteratorAge", period=Duration.minutes(5), statistic="Maximum"),
            threshold=STREAM_LAG_ALARM.to_milliseconds(),
            description="Kairos evaluator: the stream is more than "
            f"{int(STREAM_LAG_ALARM.to_minutes())} minutes behind the table's changes",
        )

        # A tick survives a timer that fails (it is retried next tick), so Lambda's
        # Errors metric never shows it: the evaluator's own count does.
        defaults.alarms.alarm(
            self,
            "timers-failing",
            metric=health_metric("TimersFailed", "evaluator", Duration.minutes(15)),
            threshold=1,
            description="Kairos evaluator: due timers are failing (each is retried every "
            "tick); the evaluator's ERROR log lines say which and why",
        )

        # The scheduled event's own `time` is "now"; a persisted cursor catches up
        # missed ticks, so a failed tick needs only a short retry. One EventBridge could
        # not deliver (the function throttled or missing) goes to a dead-letter queue
        # with an alarm, so a stopped clock does not go unnoticed.
        self.tick_dead_letters = sqs.Queue(
            self,
            "TickDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.tick_dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the every-minute schedule target.",
        )
        defaults.alarms.dead_letters(
            self,
            "schedule-dead-letters",
            self.tick_dead_letters,
            "Kairos evaluator: EventBridge could not invoke the every-minute schedule; "
            "due timers wait until a tick gets through",
        )
        self.tick = events.Rule(
            self,
            "Tick",
            description="Kairos: advance due timers every minute",
            schedule=schedule or events.Schedule.rate(Duration.minutes(1)),
            targets=[
                targets.LambdaFunction(
                    function,
                    retry_attempts=2,
                    max_event_age=Duration.minutes(5),
                    dead_letter_queue=self.tick_dead_letters,
                )
            ],
        )

        # The daily job's "now" is the rule's scheduled time, as a tick's is. A failed
        # run is retried briefly; the next day's read covers the same 14 days anyway.
        self.line_units = events.Rule(
            self,
            "LineUnits",
            description="Kairos: read LINE's opens and clicks per LINE step (last 14 days) daily",
            schedule=LINE_UNITS_SCHEDULE,
            targets=[
                targets.LambdaFunction(
                    function,
                    event=events.RuleTargetInput.from_object(
                        {"kairos": LINE_UNITS_JOB, "time": events.EventField.time}
                    ),
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                )
            ],
        )
