"""The back-office console: who may sign in (a Cognito user pool) and where it is served
(one CloudFront distribution in front of a private S3 bucket and the REST API).

Staff never sign themselves up: an administrator invites them (docs/deploy.md "The
console"), and their role is the pool group they are in (staff < marketer < admin, the
function checks it per route). The console is a prebuilt single-page app
(`make console-build` → `console/dist`), copied to the bucket as it is: nothing is built
during synth or deploy, and no Docker is needed (BucketDeployment's handler is a prebuilt
asset). A `config.json` beside it, written at deploy time, names the pool, client and
sign-in domain. `/console/api/*` reaches the REST API through the same distribution, so
the app calls its API same-origin, exactly as `kairos local` serves it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.config import ConfigError
from infra.nag import acknowledge
from kairos.ingest.routes import ROLES

PATH = "/console/"
API_PATH = "/console/api/*"
API_BASE = "/console/api"
ASSETS = "assets/*"
"""Vite's content-hashed files: cached for a year, never revalidated."""

GROUP_DESCRIPTIONS = {
    "staff": "Look members up, tag them, add notes",
    "marketer": "Staff, plus journeys, segments, imports and exports",
    "admin": "Marketer, plus erasure, merges and the audit log",
}

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


class ConsoleUsers(Construct):
    """The console's user pool: invited staff only, strong passwords, optional TOTP,
    one group per console role, and a managed login domain."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        domain_prefix: str,
        mfa_required: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            user_pool_name=f"{prefix}-console",
            # Only an administrator adds people (aws cognito-idp admin-create-user).
            self_sign_up_enabled=False,
            # The user name is what the audit trail records as `by`; email signs in too.
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Required: the managed login pages enrol an authenticator app at sign-in.
            mfa=cognito.Mfa.REQUIRED if mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Kairos console account",
                email_body=(
                    "You can now sign in to the Kairos console as {username} with the "
                    "temporary password {####} (valid for three days); you will choose "
                    "your own when you first sign in."
                ),
            ),
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            # Staff accounts and their MFA devices outlive a stack deletion.
            removal_policy=RemovalPolicy.RETAIN,
        )
        for precedence, role in enumerate(reversed(ROLES)):
            self.pool.add_group(
                f"{role.capitalize()}Group",
                group_name=role,
                description=GROUP_DESCRIPTIONS[role],
                precedence=precedence,
            )
        self.domain = self.pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        self.sign_in_host = f"{domain_prefix}.auth.{Aws.REGION}.amazoncognito.com"
        """The managed login pages and token endpoint (`/oauth2/...`)."""

        if not mfa_required:
            acknowledge(
                self.pool,
                "AwsSolutions-COG2",
                "MFA (TOTP) is optional by default so a brand can invite staff before "
                "they have an authenticator app; kairos:consoleMfa=required makes every "
                "user enrol one at sign-in (docs/deploy.md, The console).",
            )
        for rule in ("AwsSolutions-COG3", "AwsSolutions-COG8"):
            acknowledge(
                self.pool,
                rule,
                "Threat protection needs the Plus feature plan, billed per user; the pool "
                "has no self sign-up, a strong password policy and optional TOTP MFA.",
            )

    def add_console_client(self, construct_id: str, *, url: str) -> cognito.UserPoolClient:
        """The console's public client: authorization code grant with PKCE, no secret
        (a browser cannot keep one), signing in and out at `url` only."""
        client = self.pool.add_client(
            construct_id,
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                # What the console asks for: its ID token names the user and their email.
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[url],
                logout_urls=[url],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        # Passwords are typed into the managed login pages only, never into the app.
        client_resource = client.node.default_child
        assert isinstance(client_resource, cognito.CfnUserPoolClient)
        client_resource.explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        cognito.CfnManagedLoginBranding(
            self,
            f"{construct_id}Branding",
            user_pool_id=self.pool.user_pool_id,
            client_id=client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        return client


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
                retain_on_delete=False,
            )

        # The two copies take disjoint files, so each prunes only its own. Hashed assets
        # go first: a new index.html never names a file not there yet.
        immutable = [
            s3deploy.CacheControl.set_public(),
            s3deploy.CacheControl.max_age(Duration.days(365)),
            s3deploy.CacheControl.immutable(),
        ]
        assets = copy("Assets", [files], immutable, exclude=["*"], include=[ASSETS])
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
