"""The boto3 clients behind the email (SES v2) and SMS (SNS) adapters.

No client-side retries: a retried `SendEmail` or `Publish` could send twice; retrying
is the sender's decision, with backoff through the queue.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

PROVIDER_CLIENT = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)


def provider_client(service: str) -> Any:
    """`sesv2` or `sns`, configured for sending."""
    return boto3.client(service, config=PROVIDER_CLIENT)  # type: ignore[call-overload]
