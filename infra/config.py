"""The deployment's parameters, read from CDK context (`-c kairos:brand=...`, `cdk.json`).

Every parameter is documented in `docs/deploy.md`. Secrets are referenced by name only:
their values never pass through the app or the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from constructs import Node

from infra.paths import ROOT
from kairos import naming

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


class ConfigError(ValueError):
    """A context parameter is missing or malformed; synth stops with this message."""


@dataclass(frozen=True)
class KairosConfig:
    brand: str
    stage: str
    line_secret_name: str
    webhook_secret_name: str
    project: Path
    email_identity: str | None = None
    """The SES identity to send as; None derives it from kairos.yaml's `from` domain."""
    alarm_email: str | None = None
    event_ttl_days: int = 30
    timeline_ttl_days: int = 730

    @property
    def prefix(self) -> str:
        """Physical-name prefix of the brand's resources (`kairos-<brand>-<stage>`)."""
        return naming.resource_prefix(self.brand, self.stage)

    @property
    def stack_name(self) -> str:
        return naming.stack_name(self.brand, self.stage)

    @classmethod
    def from_context(cls, node: Node) -> KairosConfig:
        def get(key: str, default: str | None = None) -> str | None:
            value = node.try_get_context(f"kairos:{key}")
            return default if value in (None, "") else str(value)

        brand = get("brand", "demo") or "demo"
        stage = get("stage", "dev") or "dev"
        for key, value in (("brand", brand), ("stage", stage)):
            if not _NAME.match(value):
                raise ConfigError(
                    f"kairos:{key}={value!r}: use 1-31 lowercase letters, digits or '-' "
                    "(it becomes part of resource names)"
                )
        project = Path(get("project", "examples") or "examples")
        return cls(
            brand=brand,
            stage=stage,
            # Default names follow one convention so a brand can create them by recipe.
            line_secret_name=get("lineSecretName") or naming.line_secret_name(brand, stage),
            webhook_secret_name=get("webhookSecretName")
            or naming.webhook_secret_name(brand, stage),
            project=project if project.is_absolute() else ROOT / project,
            email_identity=get("emailIdentity"),
            alarm_email=get("alarmEmail"),
            event_ttl_days=_positive_int(get("eventTtlDays", "30"), "eventTtlDays"),
            timeline_ttl_days=_positive_int(get("timelineTtlDays", "730"), "timelineTtlDays"),
        )


def _positive_int(value: str | None, key: str) -> int:
    try:
        number = int(value or "")
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigError(f"kairos:{key}={value!r}: expected a positive number of days")
    return number
