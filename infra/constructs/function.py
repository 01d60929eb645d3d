"""One Kairos Lambda function with the house defaults, so no function block is copy-pasted.

arm64 + Python 3.13, the shared layer (and the brand project layer), an explicit log
group with retention, X-Ray tracing, Powertools settings, a role that may only write its
own log group (no managed policy), and an alarm on errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
METRICS_NAMESPACE = "Kairos"
DEFAULT_TIMEOUT = Duration.seconds(30)


@dataclass(frozen=True)
class FunctionDefaults:
    """What every Kairos function shares; built once by the stack."""

    layers: list[lambda_.ILayerVersion]
    alarm_topic: sns.ITopic
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    log_level: str = "INFO"
    environment: dict[str, str] = field(default_factory=dict)


class KairosFunction(Construct):
    """`functions/<name>/handler.py:handler` as a Lambda function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        code_dir: Path,
        defaults: FunctionDefaults,
        description: str,
        environment: dict[str, str] | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
        memory_size: int = 512,
    ) -> None:
        super().__init__(scope, construct_id)
        if not (code_dir / "handler.py").is_file():
            # Deploying a function without its handler would only fail at run time.
            raise FileNotFoundError(f"{code_dir / 'handler.py'} is missing: no {name} handler")
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=defaults.log_retention,
            # Logs hold ids only, never personal data; they go with the stack.
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may
        # write to every log group in the account, this one only to its own.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Kairos {name} function",
        )
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(code_dir), exclude=["__pycache__", "*.pyc"]),
            layers=defaults.layers,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout,
            memory_size=memory_size,
            environment={
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": defaults.log_level,
                # Traces must not carry message bodies or member data.
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                **defaults.environment,
                **(environment or {}),
            },
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"{RUNTIME.name} is the version the shared layer's wheels are built for "
            "(infra/layer.py); runtime and layer move to a newer Python together.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "Resource '*' only for actions without resource-level permissions (X-Ray "
            "PutTraceSegments/PutTelemetryRecords, the stream mapping's dynamodb:ListStreams); "
            "the log-stream wildcard is limited to this function's own log group.",
            applies_to=["Resource::*"],
            applies_to_regex=[r"/^Resource::<.*Logs[0-9A-F]{8}\.Arn>:\*$/"],
        )

        self.errors_alarm = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_description=f"Kairos {name}: invocations ended in an error",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.errors_alarm.add_alarm_action(cw_actions.SnsAction(defaults.alarm_topic))
