"""The evaluator function and what invokes it: the table's stream (something changed)
and a schedule (time passed). It moves enrolments and puts sends on the channel queues.

Stream records that fail after retries land on an SQS queue instead of blocking the
shard; one bad record is isolated by bisecting the batch and by partial batch responses.
Only member-profile records reach the function: the webhook's atomic write always
updates the profile (`last_event`), so it alone tells the evaluator what happened.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.function import FunctionDefaults, KairosFunction
from infra.constructs.keys import NamedSecret
from infra.constructs.storage import grant_items
from infra.nag import acknowledge
from infra.project import MOUNT_POINT
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
            },
        )
        member_id_secret.secret.grant_read(self.handler.role)
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

        function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=batch_size,
                bisect_batch_on_error=True,
                retry_attempts=retry_attempts,
                max_record_age=max_record_age,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.stream_failures),
                filters=[lambda_.FilterCriteria.filter(PROFILE_RECORDS)],
            )
        )

        # The scheduled event's own `time` is "now"; a persisted cursor catches up
        # missed ticks, so a failed tick needs only a short retry, not a DLQ.
        self.tick = events.Rule(
            self,
            "Tick",
            description="Kairos: advance due timers every minute",
            schedule=schedule or events.Schedule.rate(Duration.minutes(1)),
            targets=[
                targets.LambdaFunction(
                    function, retry_attempts=2, max_event_age=Duration.minutes(5)
                )
            ],
        )
