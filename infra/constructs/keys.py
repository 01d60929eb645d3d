"""The brand's generated keys: secrets the stack creates on its first deploy, so nobody
has to invent them, and keeps when the stack is deleted.

- `tracking_key` signs click and unsubscribe links (the webhook verifies them, the
  sender makes them). A key of its own: whoever can sign webhook requests with the
  integrators' `hmac_key` must not be able to mint redirects or unsubscribes.
- `member_id_key` keys the hash that turns an identifier into a member id (webhook and
  evaluator). It must never change: a new key would give a replayed history other ids.

Both are retained on stack deletion (like the tables); a re-created stack must first
have them deleted or imported, since their names are fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge


@dataclass(frozen=True)
class NamedSecret:
    """A secret the stack creates, with its name as given: a created secret's
    `secret_name` is parsed back out of its ARN at deploy time and loses everything after
    a `-` (`…/member-ids` would become `…/member`)."""

    secret: secretsmanager.ISecret
    name: str


class GeneratedKeys(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tracking_secret_name: str,
        member_id_secret_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tracking = self._secret(
            "Tracking", tracking_secret_name, "tracking_key", "Kairos: signs tracked links"
        )
        self.member_ids = self._secret(
            "MemberIds", member_id_secret_name, "member_id_key", "Kairos: keys member ids"
        )
        acknowledge(
            self,
            "AwsSolutions-SMG4",
            "Generated keys are not rotated automatically: rotating the tracking key "
            "breaks every link already sent, rotating the member-id key changes the ids a "
            "replay gives. Rotate the tracking key by hand if it leaks.",
        )

    def _secret(self, construct_id: str, name: str, key: str, description: str) -> NamedSecret:
        secret = secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",
                generate_string_key=key,
                password_length=64,
                exclude_punctuation=True,
            ),
        )
        secret.apply_removal_policy(RemovalPolicy.RETAIN)
        return NamedSecret(secret, name)
