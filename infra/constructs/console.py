"""Where the back-office console is served: one CloudFront distribution in front of a
private S3 bucket and the REST API (who may sign in: `console_users`).

The console is a prebuilt single-page app (`make console-build` → `console/dist`),
copied to the bucket as it is: nothing is built during synth or deploy, and no Docker is
needed (BucketDeployment's handler is a prebuilt asset). A `config.json` beside it,
written at deploy time, names the pool, client and sign-in domain. `/console/api/*`
reaches the REST API through the same distribution, so the app calls its API
same-origin, exactly as `kairos local` serves it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.config import ConfigError
from infra.constructs.console_users import ConsoleUsers
from infra.nag import acknowledge

PATH = "/console/"
API_PATH = "/console/api/*"
API_BASE = "/console/api"
ASSETS = "assets/*"
"""Vite's content-hashed files: cached for a year, never revalidated."""

# `/console` → `/console/`, `/console/` → its index.html; everything else as asked.
INDEX_REWRITE = """\
function handler(event) {
  var request = event.request;
  if (request.uri === '/' || request.uri === '/console') {
    return {statusCode: 308, statusDescription: 'Permanent Redirect',
            headers: {location: {value: '/console/'}}};
  }
  if (request.uri === '/console/') {
    request.uri = '/console/index.html';
  }
  return request;
}
"""


def content_security_policy(sign_in: str) -> str:
    """Only the console's own files run; it talks to itself and the sign-in domain."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {sign_in}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            f"form-action 'self' {sign_in}",
        )
    )


def built_console(dist: Path) -> Path:
    """The built console folder, or a ConfigError naming the command that builds it."""
    if not (dist / "index.html").is_file():
        raise ConfigError(
            f"The console is not built: {dist} has no index.html. Run `make console-build` "
            "(make synth and make deploy run it first), or point kairos:consoleDist at a "
            "built console."
        )
    return dist


class Console(Construct):
    """The console's bucket, distribution, app client and deployed files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        dist: Path,
        api: apigw.RestApi,
        users: ConsoleUsers,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        dist = built_console(dist)
        # Private: only the distribution reads it (origin access control), over TLS.
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # Rebuilt from console/dist on every deploy; the deployments empty it on delete.
            removal_policy=RemovalPolicy.DESTROY,
        )
        sign_in = f"https://{users.sign_in_host}"
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment=f"{prefix} console: strict CSP and security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(sign_in), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )
        index = cloudfront.Function(
            self,
            "IndexRewrite",
            comment="/console/ is the console's index.html",
            code=cloudfront.FunctionCode.from_inline(INDEX_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{prefix} console",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(
                    self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=index, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                # Never cached; every viewer header but Host (API Gateway routes on its
                # own host name) reaches the API, the ID token in Authorization included.
                API_PATH: cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                    response_headers_policy=self.headers,
                ),
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        self.url = f"https://{self.distribution.distribution_domain_name}{PATH}"
        """The console's address (ConsoleUrl): sign-in returns here."""
        self.client = users.add_console_client("ConsoleClient", url=self.url)
        self._deploy(dist, users, log_retention)
        self._acknowledge()

    def _deploy(self, dist: Path, users: ConsoleUsers, log_retention: logs.RetentionDays) -> None:
        # Its own role and log group: no managed policy, logs kept like every function's.
        log_group = logs.LogGroup(
            self, "DeployLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies the built console into its bucket at deploy time",
        )
        log_group.grant_write(self.deploy_role)
        files = s3deploy.Source.asset(str(dist))

        def copy(
            construct_id: str,
            sources: list[s3deploy.ISource],
            cache_control: list[s3deploy.CacheControl],
            exclude: list[str],
            include: list[str] | None = None,
            prune: bool = True,
        ) -> s3deploy.BucketDeployment:
            return s3deploy.BucketDeployment(
                self,
                construct_id,
                destination_bucket=self.bucket,
                destination_key_prefix=PATH.lstrip("/"),
                sources=sources,
                exclude=exclude,
                include=include,
                cache_control=cache_control,
                role=self.deploy_role,
                log_group=log_group,
                memory_limit=256,
                prune=prune,
                retain_on_delete=False,
            )

        # Two copies of disjoint files. Hashed assets go first, so a new index.html never
        # names a file not there yet, and stay: a console left open on the last version
        # still loads its lazy pages. The rest is pruned to exactly this build.
        immutable = [
            s3deploy.CacheControl.set_public(),
            s3deploy.CacheControl.max_age(Duration.days(365)),
            s3deploy.CacheControl.immutable(),
        ]
        assets = copy("Assets", [files], immutable, exclude=["*"], include=[ASSETS], prune=False)
        config = {
            "auth": "cognito",
            "region": Aws.REGION,
            "userPoolId": users.pool.user_pool_id,
            "clientId": self.client.user_pool_client_id,
            "domain": users.sign_in_host,
            "apiBase": API_BASE,
            "redirectUri": self.url,
        }
        # Revalidated on every load, so a deploy shows at once without an invalidation.
        pages = copy(
            "Pages",
            [files, s3deploy.Source.json_data("config.json", config)],
            [s3deploy.CacheControl.no_cache()],
            # Not the build's own markers (`make console-build` leaves dist/.built).
            exclude=[ASSETS, ".*"],
        )
        pages.node.add_dependency(assets)

    def _acknowledge(self) -> None:
        acknowledge(
            self.deploy_role,
            "AwsSolutions-IAM5",
            "BucketDeployment reads its source zips from the CDK asset bucket and syncs "
            "(copies, prunes) objects under console/ of the console's own bucket.",
            applies_to=[
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
                "<AWS::Region>/*",
            ],
            applies_to_regex=[r"/^Resource::<ConsoleSite[0-9A-F]+\.Arn>\/\*$/"],
        )
        # BucketDeployment's one handler for the stack lives at the stack's top level.
        for child in Stack.of(self).node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                acknowledge(
                    child,
                    "AwsSolutions-L1",
                    "BucketDeployment's prebuilt handler: aws-cdk-lib picks its runtime "
                    "and moves it forward with each release.",
                )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "The bucket holds only the built console, read by CloudFront alone; who "
            "signed in and what they did is in the API's access logs and the audit trail.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "Staff may work from anywhere; every API call needs a signed-in user.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "WAF is left to the brand's account policy, as for the API; the static files "
            "are public by nature and the API needs a Cognito token.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR3",
            "Static files only; the API calls it forwards are logged by the API stage's "
            "access logs, and staff changes by the audit trail.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The distribution uses its default *.cloudfront.net certificate, for which "
            "CloudFront sets the viewer TLS policy; a brand's own domain and certificate "
            "would set TLSv1.2_2021.",
        )
