"""Time arithmetic for journeys, pure and zone-aware: waits, wall-clock times, quiet
hours, yearly date triggers and cron schedules.

Everything takes "now" (or "after") as an argument and the brand time zone as a
`ZoneInfo`; nothing reads the wall clock. Results are UTC datetimes, because adding a
`timedelta` to a datetime carrying a `ZoneInfo` does wall-clock arithmetic and is wrong
across a DST change; local wall-clock rules are built explicitly instead.

Calendar units (days, weeks, months) keep the local wall-clock time: "wait 7 days" from
Saturday 08:00 is the next Saturday 08:00 even across a DST change. Hours and minutes
are elapsed time. A month added to the 31st lands on the month's last day (Jan 31 +
1 month = Feb 28, or 29 in a leap year).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from kairos.models.journey import Offset
from kairos.models.settings import QuietHours


def as_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no offset")
    return dt.astimezone(UTC)


def wall_clock(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The instant a local clock in `tz` shows `day hour:minute`. A time skipped by a DST
    change resolves to the same distance after the change (02:30 → 03:30); a repeated
    time resolves to its first occurrence."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Calendar months; the day is clamped to the target month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift(dt: datetime, offset: Offset, tz: ZoneInfo) -> datetime:
    """`dt` moved by a signed offset: months, weeks and days on the local calendar
    (keeping the wall-clock time), then hours and minutes as elapsed time."""
    local = as_utc(dt).astimezone(tz)
    day = add_months(local.date(), offset.months) + timedelta(days=offset.weeks * 7 + offset.days)
    if day != local.date():
        base = datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)
    else:
        base = as_utc(dt)  # no calendar move: keep the exact instant (and its DST fold)
    return base + timedelta(hours=offset.hours, minutes=offset.minutes)


def next_wall_clock(
    now: datetime, hour: int, minute: int, tz: ZoneInfo, weekday: int | None = None
) -> datetime:
    """The next `hour:minute` local time (on `weekday`, 0 = Monday, if given) strictly
    after `now`: `until: "09:00"` at 09:00 sharp waits until tomorrow."""
    local = as_utc(now).astimezone(tz)
    for ahead in range(0, 9):
        day = local.date() + timedelta(days=ahead)
        if weekday is not None and day.weekday() != weekday:
            continue
        candidate = wall_clock(day, hour, minute, tz)
        if candidate > as_utc(now):
            return candidate
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def parse_instant(value: Any, tz: ZoneInfo) -> datetime | None:
    """A field value as an instant: an aware datetime, an ISO time with offset, a naive
    ISO time (local) or a `YYYY-MM-DD` date (local midnight). None when it is none."""
    if isinstance(value, datetime):
        return as_utc(value if value.tzinfo else value.replace(tzinfo=tz))
    if isinstance(value, date):
        return wall_clock(value, 0, 0, tz)
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return as_utc(parsed)


def parse_date(value: Any, tz: ZoneInfo) -> date | None:
    """A field value as a local calendar date (`YYYY-MM-DD` or an ISO time)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    instant = parse_instant(value, tz)
    return None if instant is None else instant.astimezone(tz).date()


def calendar_days_between(earlier: datetime, later: datetime, tz: ZoneInfo) -> int:
    """Local calendar days from `earlier` to `later` (an order at 23:00 yesterday is
    one day ago at 08:00 today): marketers count days on the calendar."""
    return (as_utc(later).astimezone(tz).date() - as_utc(earlier).astimezone(tz).date()).days


# ---- quiet hours ----------------------------------------------------------------------


def _hm(value: str) -> tuple[int, int]:
    hh, mm = value.split(":")
    return int(hh), int(mm)


def quiet_window_end(
    now: datetime, quiet_hours: QuietHours | None, tz: ZoneInfo
) -> datetime | None:
    """The end of the quiet window `now` falls in, or None when it is not quiet. The
    window is [start, end) local time and may cross midnight (21:00–09:00)."""
    if quiet_hours is None or quiet_hours.start == quiet_hours.end:
        return None
    local = as_utc(now).astimezone(tz)
    start, end = _hm(quiet_hours.start), _hm(quiet_hours.end)
    clock = (local.hour, local.minute)
    today = local.date()
    if start < end:
        return wall_clock(today, *end, tz) if start <= clock < end else None
    if clock >= start:
        return wall_clock(today + timedelta(days=1), *end, tz)
    if clock < end:
        return wall_clock(today, *end, tz)
    return None


def defer_for_quiet_hours(now: datetime, quiet_hours: QuietHours | None, tz: ZoneInfo) -> datetime:
    """When a non-transactional send may go: the window's end if `now` is quiet, else now."""
    end = quiet_window_end(now, quiet_hours, tz)
    return as_utc(now) if end is None else end


# ---- date triggers ----------------------------------------------------------------------


def anniversary(field_day: date, year: int, match: Literal["day", "month"]) -> date:
    """The field's day in `year`: 29 Feb is 28 Feb in other years; `month` is the 1st."""
    if match == "month":
        return date(year, field_day.month, 1)
    last = calendar.monthrange(year, field_day.month)[1]
    return date(year, field_day.month, min(field_day.day, last))


def next_date_fire(
    field_value: Any,
    match: Literal["day", "month"],
    at: str,
    offset: Offset,
    tz: ZoneInfo,
    after: datetime,
) -> datetime | None:
    """The next yearly firing strictly after `after` for a date field (e.g. a birthday
    `1990-05-20`, `at: "09:00"`, `offset: {days: -3}` → 17 May 09:00 local each year).
    None when the field holds no date."""
    field_day = parse_date(field_value, tz)
    if field_day is None:
        return None
    hour, minute = _hm(at)
    after_utc = as_utc(after)
    base_year = after_utc.astimezone(tz).year
    # An offset of up to a year either way can move a firing into a neighbouring year.
    span = 1 + abs(offset.months) // 12 + abs(offset.weeks * 7 + offset.days) // 365
    for year in range(base_year - span, base_year + span + 2):
        day = anniversary(field_day, year, match)
        fire = shift(wall_clock(day, hour, minute, tz), offset, tz)
        if fire > after_utc:
            return fire
    return None


# ---- cron ---------------------------------------------------------------------------------


def check_cron(expr: str) -> str | None:
    """Why a cron expression is refused, or None."""
    try:
        CronSim(expr, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        return f"bad cron {expr!r}: {exc}"
    return None


def next_cron(expr: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The next firing strictly after `after`, the expression read in local time `tz`."""
    fire: datetime = next(CronSim(expr, as_utc(after).astimezone(tz)))
    return as_utc(fire)
