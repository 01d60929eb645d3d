"""Who is in a journey and where (`kairos journeys show`, the console's step members):
one row per live enrolment, times in the brand's zone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from kairos.engine.enrolment import Enrolment


def waiting_row(enrolment: Enrolment, zone: ZoneInfo) -> dict[str, Any]:
    """What the member waits for at which step, until when, since when."""
    e = enrolment
    return {
        "member_id": e.member_id,
        "step": e.step,
        "state": e.state,
        "waiting_for": e.pending,
        "until": e.wait_until.astimezone(zone).isoformat() if e.wait_until else None,
        "entered_at": e.entered_at.astimezone(zone).isoformat(),
        "version": e.journey_version,
        "holdout": e.holdout,
    }


def waiting_rows(enrolments: Iterable[Enrolment], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Every live enrolment, by step then member."""
    live = sorted(enrolments, key=lambda e: (e.step or "", e.member_id))
    return [waiting_row(e, zone) for e in live]
