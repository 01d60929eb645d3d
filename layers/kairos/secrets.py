"""Secrets from AWS Secrets Manager through Powertools parameters (cached 5 minutes).

Locally the runtime stores the development secrets in the emulator's Secrets Manager,
so this same code path runs everywhere. Secret values never reach logs.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities import parameters

CACHE_SECONDS = 300
_providers: dict[str | None, parameters.SecretsProvider] = {}


def _provider() -> parameters.SecretsProvider:
    # One provider (and its cache) per endpoint: Powertools' default provider keeps the
    # client it first made, which would outlive a local emulator restarted on a new port.
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint not in _providers:
        _providers[endpoint] = parameters.SecretsProvider()
    return _providers[endpoint]


def _json_secret(name: str) -> dict[str, Any]:
    value = _provider().get(name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {name} is not a JSON object")
    return value


def line_secrets(name: str) -> dict[str, str]:
    """`{"channel_secret": ..., "channel_access_token": ...}`"""
    return {k: str(v) for k, v in _json_secret(name).items()}


def webhook_secrets(name: str) -> dict[str, str]:
    """`{"hmac_key": ..., "shopify_hmac_key": ...}`"""
    return {k: str(v) for k, v in _json_secret(name).items()}
