"""Ingest: the webhook function and the public REST API in front of it.

The routes come from `kairos.ingest.routes`, the list the function's resolver is built
from. Every route is proxied to the one webhook function. Public routes verify signatures
in the function: LINE and shop platforms sign their requests, they cannot present IAM or
Cognito credentials. Admin routes (`auth="iam"`, under /admin/) are authorised by API
Gateway itself with SigV4 and IAM, before the function runs; `admin_policy` is the
managed policy that grants exactly those (execute-api:Invoke on /admin/* of this stage).
The console's routes (`auth="cognito"`, under /console/api/) need an ID token of the
console's user pool, checked by API Gateway's Cognito authorizer; the function then
checks the caller's role (group) per route.
Throttling caps what a flood (or a misbehaving platform) can cost; a WAF web ACL on the
stage limits `/collect` (the website snippet) per client address (infra/constructs/collect.py).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.collect import CollectFirewall, CollectSettings
from infra.constructs.function import FunctionDefaults, KairosFunction
from infra.constructs.keys import NamedSecret
from infra.constructs.storage import grant_items
from infra.nag import acknowledge
from infra.project import MOUNT_POINT
from kairos.ingest.routes import ROUTES
from kairos.store.schema import MAIN

# The webhook answers 503 to a member busy with another change (the caller redelivers),
# so a few 5xx are normal; this many in five minutes are not.
API_5XX_ALARM = 10

AUTHORIZATION = {
    "none": apigw.AuthorizationType.NONE,
    "iam": apigw.AuthorizationType.IAM,
    "cognito": apigw.AuthorizationType.COGNITO,
}


class Ingest(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        stage_name: str,
        code_dir: Path,
        defaults: FunctionDefaults,
        table: dynamodb.ITable,
        line_secret: secretsmanager.ISecret,
        webhook_secret: secretsmanager.ISecret,
        tracking_secret: NamedSecret,
        member_id_secret: NamedSecret,
        event_ttl_days: int,
        console_users: cognito.IUserPool,
        rate_limit: int = 100,
        burst_limit: int = 200,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        collect = CollectSettings.from_context(self.node)
        self.handler = KairosFunction(
            self,
            "Webhook",
            name="webhook",
            code_dir=code_dir,
            defaults=defaults,
            description="Kairos webhook: verify, validate and apply events to member profiles",
            # Well inside LINE's and shop platforms' delivery timeouts.
            timeout=Duration.seconds(10),
            environment={
                "KAIROS_TABLE": table.table_name,
                "KAIROS_LINE_SECRET_NAME": line_secret.secret_name,
                "KAIROS_WEBHOOK_SECRET_NAME": webhook_secret.secret_name,
                "KAIROS_TRACKING_SECRET_NAME": tracking_secret.name,
                "KAIROS_MEMBER_ID_SECRET_NAME": member_id_secret.name,
                "KAIROS_EVENT_TTL_DAYS": str(event_ttl_days),
                "KAIROS_PROJECT_DIR": MOUNT_POINT,
                # The websites' publishable keys and origins (not secrets: they are in
                # the brand's pages) and the LIFF channel (infra/constructs/collect.py).
                "KAIROS_COLLECT_SITES": collect.sites,
                "KAIROS_LIFF_CHANNEL_ID": collect.liff_channel_id,
            },
        )
        grant_items(self.handler.role, table, MAIN, write=True)
        line_secret.grant_read(self.handler.role)
        webhook_secret.grant_read(self.handler.role)
        tracking_secret.secret.grant_read(self.handler.role)
        member_id_secret.secret.grant_read(self.handler.role)

        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=name,
            description=(
                "Kairos webhooks: LINE, shop orders, canonical events, tracked links, unsubscribe"
            ),
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway needs an account-level role to write logs. It is shared by
            # every API in the account and region, so it stays when this stack goes.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Request bodies carry personal data: never copy them into logs.
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )
        defaults.alarms.alarm(
            self,
            "api-5xx",
            metric=self.api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=API_5XX_ALARM,
            description=f"Kairos API: {API_5XX_ALARM} or more 5xx answers in five minutes; "
            "LINE and shop platforms redeliver for a while, then give up",
        )
        integration = apigw.LambdaIntegration(self.handler.function, proxy=True)
        # Without scopes API Gateway expects the ID token (the console sends it), whose
        # claims carry the user name, email and cognito:groups the function reads.
        self.console_authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "ConsoleAuthorizer",
            cognito_user_pools=[console_users],
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        for route in ROUTES:
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method,
                integration,
                authorization_type=AUTHORIZATION[route.auth],
                authorizer=self.console_authorizer if route.auth == "cognito" else None,
            )
            if route.auth != "cognito":
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    "Only the console's staff sign in to a user pool (the /console/api/ "
                    "routes use it); webhook callers authenticate by request signature, "
                    "admin tools by IAM.",
                )
        self.firewall = CollectFirewall(
            self, "Firewall", api=self.api, prefix=name, rate_limit=collect.rate_limit
        )
        # Least privilege for the brand's tools (CRM, POS, service desk): attach this to
        # their role or user; it reaches the admin API of this stage and nothing else.
        self.admin_policy = iam.ManagedPolicy(
            self,
            "AdminPolicy",
            description="Kairos admin API callers: execute-api:Invoke on /admin/* only",
            statements=[
                iam.PolicyStatement(
                    actions=["execute-api:Invoke"],
                    # `*` spans slashes: /admin/members and everything under it.
                    resources=[
                        self.api.arn_for_execute_api(method="*", path="/admin/*", stage=stage_name)
                    ],
                )
            ],
        )

        acknowledge(
            self.admin_policy,
            "AwsSolutions-IAM5",
            "The admin callers' policy is scoped to this API's stage and /admin/*: the "
            "wildcard covers the admin methods and member ids, nothing public.",
            applies_to_regex=[r"/^Resource::arn:<AWS::Partition>:execute-api:.*\/admin\/\*$/"],
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG2",
            "Bodies are verified against their HMAC signature over the raw bytes and then "
            "validated by the function, which answers 400 naming the field.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "Callers are LINE and shop platforms that sign requests (X-Line-Signature, "
            "X-Shopify-Hmac-Sha256, X-Kairos-Signature) and cannot use IAM or Cognito; "
            "the function rejects unsigned requests with 401. /t/ (tracked links) and /u/ "
            "(unsubscribe) carry their own HMAC-signed token and are public by design. "
            "/collect takes a website's publishable key from its listed origins only, "
            "never an identity (proofs are verified in the function), behind a WAF "
            "rate-based rule per client address. "
            "The /admin/ routes use IAM (SigV4); the /console/api/ routes the console's "
            "Cognito user pool.",
        )

        acknowledge(
            self.api,
            "AwsSolutions-IAM4",
            "The account-level API Gateway logging role uses the AWS managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, which API Gateway requires.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ],
        )

    @property
    def url(self) -> str:
        """The stage's base URL, ending in '/'."""
        return self.api.url
