"""Account-level settings the emulator (moto) does not answer, added to it in-process:
SES v2 `GetAccount` (production access or sandbox) and SNS
`GetSMSSandboxAccountStatus`. `kairos doctor` reads both; tests set them with
`set_account()`. New accounts start in both sandboxes, as on AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class AccountSettings:
    ses_production_access: bool = False
    ses_sending_enabled: bool = True
    sms_sandbox: bool = True


_settings = AccountSettings()


def set_account(
    *,
    ses_production_access: bool | None = None,
    ses_sending_enabled: bool | None = None,
    sms_sandbox: bool | None = None,
) -> AccountSettings:
    """Change what the emulator reports (process-wide, like the emulator's state)."""
    install()
    if ses_production_access is not None:
        _settings.ses_production_access = ses_production_access
    if ses_sending_enabled is not None:
        _settings.ses_sending_enabled = ses_sending_enabled
    if sms_sandbox is not None:
        _settings.sms_sandbox = sms_sandbox
    return _settings


def install() -> None:
    """Teach the in-process moto the two operations (idempotent). Must run before the
    emulator first serves SES v2: moto builds each service's routes once."""
    from moto.core.responses import ActionResult
    from moto.sesv2 import urls as sesv2_urls
    from moto.sesv2.responses import SESV2Response
    from moto.sns.responses import SNSResponse

    if getattr(SESV2Response, "get_account", None) is not None:
        return
    sesv2_urls.url_paths["{0}/v2/email/account$"] = SESV2Response.dispatch

    def get_account(self: Any) -> str:
        sandbox = not _settings.ses_production_access
        return json.dumps(
            {
                "ProductionAccessEnabled": _settings.ses_production_access,
                "SendingEnabled": _settings.ses_sending_enabled,
                "EnforcementStatus": "HEALTHY",
                "DedicatedIpAutoWarmupEnabled": False,
                # AWS's sandbox quota: 200 messages a day, one a second.
                "SendQuota": {
                    "Max24HourSend": 200.0 if sandbox else 50000.0,
                    "MaxSendRate": 1.0 if sandbox else 14.0,
                    "SentLast24Hours": 0.0,
                },
            }
        )

    def get_sms_sandbox_account_status(self: Any) -> Any:
        return ActionResult({"IsInSandbox": _settings.sms_sandbox})

    SESV2Response.get_account = get_account  # type: ignore[attr-defined]
    SNSResponse.get_sms_sandbox_account_status = get_sms_sandbox_account_status  # type: ignore[attr-defined]
