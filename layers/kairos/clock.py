"""Time as data: the domain never reads the wall clock.

Handlers derive "now" from their event (API Gateway request time, the scheduled event's
`time`, an SQS message's sent timestamp); the simulator drives a virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc(dt: datetime) -> datetime:
    """Normalise an aware datetime to UTC; refuse naive ones (they hide bugs)."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no offset")
    return dt.astimezone(UTC)


def from_epoch_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(dt: datetime) -> str:
    """Sortable ISO 8601 in UTC with milliseconds (used in keys)."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc(dt).microsecond // 1000:03d}Z"


def hour_bucket(moment: datetime) -> str:
    """The UTC hour a moment falls in, `YYYY-MM-DDTHH`: the due index's time bucket and
    the scheduler's unit of progress."""
    return utc(moment).strftime("%Y-%m-%dT%H")


class FixedClock:
    """A settable clock for the simulator and tests."""

    def __init__(self, now: datetime) -> None:
        self._now = utc(now)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = utc(now)
