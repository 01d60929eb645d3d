"""The webhook function's wiring: configuration, brand settings, secrets and the member
store, built once per container from the environment (`services()`), or from explicit
clients (`build`) when the simulator runs the same handler on the memory backend."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kairos.aws import AwsClients, Boto3Clients
from kairos.config import RuntimeConfig
from kairos.models.settings import Settings
from kairos.project import load_settings
from kairos.secrets import SecretStore
from kairos.store.audit import AuditRepository
from kairos.store.deliveries import DeliveryStore
from kairos.store.members import MemberRepository
from kairos.store.merging import MergeRepository


@dataclass(frozen=True)
class WebhookServices:
    config: RuntimeConfig
    settings: Settings
    secrets: SecretStore
    members: MemberRepository
    deliveries: DeliveryStore
    erasure: MergeRepository
    """Erasures and merges (a merge removes the absorbed member as an erasure does)."""
    audit: AuditRepository
    """The audit trail: every staff change and export (console and admin API)."""

    def member_id_key(self) -> bytes:
        """The brand's member-id key (read through the secrets cache)."""
        return self.secrets.member_id_key(self.config.member_id_secret_name)

    def segment_ids(self) -> list[str]:
        """The brand's segments (an erasure removes the member from each)."""
        return project_segments(self.config.project_dir)

    def tracking_key(self) -> bytes:
        """The key that signs click and unsubscribe links."""
        return self.secrets.tracking_key(self.config.tracking_secret_name)


def build(config: RuntimeConfig, aws: AwsClients) -> WebhookServices:
    dynamodb = aws.client("dynamodb")
    return WebhookServices(
        config=config,
        settings=load_settings(config.project_dir),
        secrets=SecretStore(aws),
        members=MemberRepository(
            config.table,
            dynamodb,
            event_ttl_days=config.event_ttl_days,
            timeline_ttl_days=config.timeline_ttl_days,
        ),
        deliveries=DeliveryStore(config.table, dynamodb),
        erasure=MergeRepository(config.table, dynamodb, timeline_ttl_days=config.timeline_ttl_days),
        audit=AuditRepository(config.table, dynamodb, ttl_days=config.timeline_ttl_days),
    )


@cache
def project_segments(project_dir: str | None) -> list[str]:
    """Read once per container, and only when an erasure asks."""
    from kairos.project import load_project

    return sorted(load_project(project_dir).segments) if project_dir else []


@cache
def services() -> WebhookServices:
    return build(RuntimeConfig.from_env(), Boto3Clients())
