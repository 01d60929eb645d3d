"""The LINE monthly allowance (`channels.line.monthly_limit`), tracked per calendar
month in the brand's time zone (`QUOTA#line#YYYY-MM`).

A batch reserves its LINE recipients with one `ADD` before sending: transactional sends
are always let through (and counted), non-transactional ones only while the month has
room; what does not fit is handed back at once and those sends move to their next
usable channel or end `quota_exceeded`. Reservations a batch did not use (duplicates,
capped members, retries, failures) are handed back when the batch finishes. A crash in
between leaves a reservation counted: the error is on the safe side.

LINE's own answer "You have reached your monthly limit." marks the month exhausted, so
later batches skip LINE without asking it again. With `monthly_limit_reached:
next_month` such a send is kept for the next month instead (`next_month_start`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kairos.delivery.ports import MonthlyQuota
from kairos.engine.timing import add_months, wall_clock


def month_of(now: datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).strftime("%Y-%m")


def next_month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight on the first of the month after `now`'s, in the brand's zone (the start
    of LINE's next quota month, `month_of`)."""
    first = add_months(now.astimezone(zone).date().replace(day=1), 1)
    return wall_clock(first, 0, 0, zone)


@dataclass(frozen=True)
class Reservation:
    allowed_non_transactional: int
    """How many of the batch's non-transactional sends fit this month."""
    reserved: int
    """What is counted for this batch after handing back the excess."""


def reserve(
    store: MonthlyQuota,
    channel: str,
    month: str,
    limit: int,
    transactional: int,
    non_transactional: int,
) -> Reservation:
    wanted = transactional + non_transactional
    if wanted == 0:
        return Reservation(0, 0)
    total, exhausted = store.add(channel, month, wanted)
    before = total - wanted
    room = 0 if exhausted else max(0, limit - before - transactional)
    allowed = min(non_transactional, room)
    excess = non_transactional - allowed
    if excess:
        store.add(channel, month, -excess)
    return Reservation(allowed, wanted - excess)


@dataclass
class LineAllowance:
    """One batch's part of LINE's monthly allowance: what it reserved, and whether LINE
    said during the batch that the month is used up."""

    store: MonthlyQuota
    month: str
    limit: int | None
    """`channels.line.monthly_limit`; None: not tracked (LINE's own answer still counts)."""
    reserved: int = 0
    exhausted: bool = False

    def exhaust(self) -> None:
        # Remember it for the month, so later batches skip LINE without asking again.
        if not self.exhausted:
            self.exhausted = True
            self.store.mark_exhausted("line", self.month)

    def settle(self, used: int) -> None:
        """Hand back reservations the batch did not use; count LINE sends made off-plan."""
        if self.limit is not None and used != self.reserved:
            self.store.add("line", self.month, used - self.reserved)
