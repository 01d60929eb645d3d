"""Secrets from AWS Secrets Manager through Powertools parameters (cached 5 minutes).

Locally the runtime stores the development secrets in the emulator's Secrets Manager,
so this same code path runs everywhere. Secret values never reach logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

CACHE_SECONDS = 300


def _json_secret(name: str) -> dict[str, Any]:
    value = parameters.get_secret(name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {name} is not a JSON object")
    return value


def line_secrets(name: str) -> dict[str, str]:
    """`{"channel_secret": ..., "channel_access_token": ...}`"""
    return {k: str(v) for k, v in _json_secret(name).items()}


def webhook_secrets(name: str) -> dict[str, str]:
    """`{"hmac_key": ..., "shopify_hmac_key": ...}`"""
    return {k: str(v) for k, v in _json_secret(name).items()}
