"""Secrets from AWS Secrets Manager through Powertools parameters (cached 5 minutes).

Locally the runtime stores the development secrets in the emulator's (or the memory
backend's) Secrets Manager, so this same code path runs everywhere. Secret values never
reach logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

from kairos.aws import AwsClients

CACHE_SECONDS = 300


class SecretStore:
    """The brand's secrets, read through one Secrets Manager client."""

    def __init__(self, aws: AwsClients) -> None:
        self.provider = parameters.SecretsProvider(boto3_client=aws.client("secretsmanager"))

    def json(self, name: str) -> dict[str, Any]:
        value = self.provider.get(name, transform="json", max_age=CACHE_SECONDS)
        if not isinstance(value, dict):
            raise ValueError(f"secret {name} is not a JSON object")
        return value

    def line(self, name: str) -> dict[str, str]:
        """`{"channel_secret": ..., "channel_access_token": ...}`"""
        return {k: str(v) for k, v in self.json(name).items()}

    def webhook(self, name: str) -> dict[str, str]:
        """`{"hmac_key": ..., "shopify_hmac_key": ...}`: what integrators sign with."""
        return {k: str(v) for k, v in self.json(name).items()}

    def tracking_key(self, name: str) -> bytes:
        """`tracking_key` of secret `name`: signs click and unsubscribe links. A key of
        its own, so whoever can sign webhook requests cannot mint links."""
        return self._key(name, "tracking_key")

    def member_id_key(self, name: str) -> bytes:
        """`member_id_key` of secret `name`: keys the hash that makes member ids."""
        return self._key(name, "member_id_key")

    def _key(self, name: str, field: str) -> bytes:
        value = self.json(name).get(field)
        if not isinstance(value, str) or not value:
            raise ValueError(f"secret {name} has no {field}")
        return value.encode()
