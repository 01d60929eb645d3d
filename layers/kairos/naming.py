"""How a brand's deployment names things: one place for the CDK app (`infra/`) and for
the tools that find a deployed stack again (`kairos doctor`)."""

from __future__ import annotations

# The stack's outputs (`cdk deploy` prints them; `kairos doctor` reads them).
OUTPUT_API_URL = "ApiUrl"
OUTPUT_LINE_WEBHOOK_URL = "LineWebhookUrl"
OUTPUT_MAIN_TABLE = "MainTable"
OUTPUT_ALARM_TOPIC = "AlarmTopic"
OUTPUT_ADMIN_POLICY = "AdminPolicyArn"
"""The managed policy to attach to the brand's tools that call the admin API."""
OUTPUTS = (OUTPUT_API_URL, OUTPUT_LINE_WEBHOOK_URL, OUTPUT_MAIN_TABLE, OUTPUT_ALARM_TOPIC)


def stack_name(brand: str, stage: str) -> str:
    return f"Kairos-{brand}-{stage}"


def resource_prefix(brand: str, stage: str) -> str:
    """Physical-name prefix of the brand's resources (tables, alarms, configuration set)."""
    return f"kairos-{brand}-{stage}"


def line_secret_name(brand: str, stage: str) -> str:
    """The default Secrets Manager name of the LINE channel secret and token."""
    return f"kairos/{brand}/{stage}/line"


def webhook_secret_name(brand: str, stage: str) -> str:
    """The default Secrets Manager name of the shop / canonical-event HMAC keys."""
    return f"kairos/{brand}/{stage}/webhook"
