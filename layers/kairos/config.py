"""Runtime configuration read from the function's environment (set by the CDK stack or
by the local runtime). Secrets are never in the environment, only their names.

The brand's settings are not here: they are the project's `kairos.yaml`, read by
`kairos.project.load_settings` (the reader `kairos validate` uses too)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeConfig:
    table: str
    idempotency_table: str
    line_secret_name: str
    webhook_secret_name: str
    tracking_secret_name: str
    """`{"tracking_key": ...}`: signs click and unsubscribe links (never the webhook key)."""
    member_id_secret_name: str
    """`{"member_id_key": ...}`: keys the hash that makes member ids."""
    event_ttl_days: int
    timeline_ttl_days: int
    project_dir: str | None
    max_body_bytes: int
    queue_urls: dict[str, str]
    line_api_endpoint: str
    ses_configuration_set: str | None
    tracking_base_url: str
    collect_sites: str = "[]"
    """`KAIROS_COLLECT_SITES`: the websites' publishable keys and origins (JSON,
    kairos.ingest.collect.sites_from_json); `[]` turns `/collect` off."""
    liff_channel_id: str = ""
    """`KAIROS_LIFF_CHANNEL_ID`: the LIFF app's channel, whose ID tokens identify visitors."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RuntimeConfig:
        env = os.environ if environ is None else environ
        return cls(
            table=env.get("KAIROS_TABLE", "kairos-main"),
            idempotency_table=env.get("KAIROS_IDEMPOTENCY_TABLE", "kairos-idempotency"),
            line_secret_name=env.get("KAIROS_LINE_SECRET_NAME", "kairos/line"),
            webhook_secret_name=env.get("KAIROS_WEBHOOK_SECRET_NAME", "kairos/webhook"),
            tracking_secret_name=env.get("KAIROS_TRACKING_SECRET_NAME", "kairos/tracking"),
            member_id_secret_name=env.get("KAIROS_MEMBER_ID_SECRET_NAME", "kairos/member-ids"),
            event_ttl_days=int(env.get("KAIROS_EVENT_TTL_DAYS", "30")),
            timeline_ttl_days=int(env.get("KAIROS_TIMELINE_TTL_DAYS", "730")),
            project_dir=env.get("KAIROS_PROJECT_DIR"),
            max_body_bytes=int(env.get("KAIROS_MAX_BODY_BYTES", str(1024 * 1024))),
            queue_urls={
                channel: url
                for channel in ("line", "email", "sms")
                if (url := env.get(f"KAIROS_QUEUE_{channel.upper()}"))
            },
            line_api_endpoint=env.get("KAIROS_LINE_API_ENDPOINT", "https://api.line.me"),
            ses_configuration_set=env.get("KAIROS_SES_CONFIGURATION_SET"),
            tracking_base_url=env.get("KAIROS_TRACKING_BASE_URL", "http://127.0.0.1:3000/t/"),
            collect_sites=env.get("KAIROS_COLLECT_SITES", "[]"),
            liff_channel_id=env.get("KAIROS_LIFF_CHANNEL_ID", ""),
        )
