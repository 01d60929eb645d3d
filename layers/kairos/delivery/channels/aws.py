"""The clients the email (SES v2) and SMS (SNS) adapters send with.

No client-side retries: a retried `SendEmail` or `Publish` could send twice; retrying
is the sender's decision, with backoff through the queue. The functions' shared boto3
clients retry (right for DynamoDB and SQS), so the senders get their own.
"""

from __future__ import annotations

from botocore.config import Config

from kairos.aws import AwsClients, Boto3Clients

PROVIDER_CLIENT = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)


def provider_clients(aws: AwsClients) -> AwsClients:
    """boto3 clients configured for sending; any other clients (the memory backend's,
    which never retry) as they are."""
    return Boto3Clients(PROVIDER_CLIENT) if isinstance(aws, Boto3Clients) else aws
