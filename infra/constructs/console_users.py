"""Who may sign in to the back-office console: a Cognito user pool of invited staff.

Staff never sign themselves up: an administrator invites them (docs/deploy.md "The
console"), and their role is the pool group they are in (staff < marketer < admin; the
webhook function checks it per route). They sign in on Cognito's managed login pages,
and the console is a public client of the pool (code grant with PKCE, no secret).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge
from kairos.ingest.routes import ROLES

GROUP_DESCRIPTIONS = {
    "staff": "Look members up, tag them, add notes",
    "marketer": "Staff, plus journeys, segments, imports and exports",
    "admin": "Marketer, plus erasure, merges and the audit log",
}


class ConsoleUsers(Construct):
    """The console's user pool: invited staff only, strong passwords, TOTP MFA (optional
    or required), one group per console role, and a managed login domain."""

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
            # Passwords are typed into the managed login pages, which prove them with SRP
            # (the password itself never travels); no plain-password flow.
            auth_flows=cognito.AuthFlow(user_srp=True),
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
        cognito.CfnManagedLoginBranding(
            self,
            f"{construct_id}Branding",
            user_pool_id=self.pool.user_pool_id,
            client_id=client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        return client
