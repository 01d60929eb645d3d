"""One Kairos Lambda function with the house defaults, so no function block is copy-pasted.

arm64 + Python 3.13, the shared layer (and the brand project layer), an explicit log
group with retention and JSON log lines (Lambda's own START/END/REPORT lines too), X-Ray
tracing, Powertools settings with the function's own service name, a role that may only
write its own log group (no managed policy), and alarms on errors and throttles.

Statements that can only name `Resource: '*'` (X-Ray, and a few granted by other
constructs through `wildcard_policy`) live in their own small policies, each
acknowledged for cdk-nag on that policy alone: a new wildcard in a role's default
policy is still reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.alarms import METRICS_NAMESPACE, AlarmSink
from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
DEFAULT_TIMEOUT = Duration.seconds(30)


@dataclass(frozen=True)
class FunctionDefaults:
    """What every Kairos function shares; built once by the stack."""

    layers: list[lambda_.ILayerVersion]
    alarms: AlarmSink
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    log_level: str = "INFO"
    environment: dict[str, str] = field(default_factory=dict)


LOG_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}
"""Powertools' level name → Lambda's application log level (they must agree)."""

TRACING_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def wildcard_policy(
    scope: Construct, construct_id: str, role: iam.IRole, actions: list[str], reason: str
) -> iam.Policy:
    """A policy of one `Resource: '*'` statement for actions that have no resource-level
    permissions, acknowledged for cdk-nag with `reason` on this policy only."""
    policy = iam.Policy(
        scope,
        construct_id,
        statements=[iam.PolicyStatement(actions=actions, resources=["*"])],
        roles=[role],
    )
    acknowledge(policy, "AwsSolutions-IAM5", reason, applies_to=["Resource::*"])
    return policy


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
        # X-Ray accepts no resource ARN: its statement gets a policy of its own.
        self.tracing_policy = wildcard_policy(
            self,
            "TracingPolicy",
            self.role,
            list(TRACING_ACTIONS),
            "X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level "
            "permissions; this policy holds only those two actions.",
        )

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
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(LOG_LEVELS[defaults.log_level]),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
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
        # Active tracing set on the resource itself: `tracing=ACTIVE` would add the X-Ray
        # wildcard to the role's default policy, where it could only be acknowledged
        # for every statement at once.
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        self.function.node.add_dependency(self.tracing_policy)
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"{RUNTIME.name} is the version the shared layer's wheels are built for "
            "(infra/layer.py); runtime and layer move to a newer Python together.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "Log streams are created by Lambda with generated names: the wildcard is "
            "limited to streams of this function's own log group.",
            applies_to_regex=[r"/^Resource::<.*Logs[0-9A-F]{8}\.Arn>:\*$/"],
        )

        self.errors_alarm = defaults.alarms.alarm(
            self,
            f"{name}-errors",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description=f"Kairos {name}: invocations ended in an error",
        )
        # Throttled invocations are not errors: a stream batch or a webhook call waits
        # (or API Gateway answers 5xx) while the account's concurrency is used up.
        self.throttles_alarm = defaults.alarms.alarm(
            self,
            f"{name}-throttles",
            metric=self.function.metric_throttles(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            description=f"Kairos {name}: invocations were throttled (account concurrency)",
        )
