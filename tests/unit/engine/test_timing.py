"""Time arithmetic: calendar months, wall-clock waits, quiet hours, yearly dates and cron,
in DST-free Asia/Taipei and across DST changes in America/New_York."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kairos.engine.timing import (
    add_months,
    defer_for_quiet_hours,
    next_cron,
    next_date_fire,
    next_wall_clock,
    parse_instant,
    quiet_window_end,
    shift,
)
from kairos.models.journey import Offset
from kairos.models.settings import QuietHours

TPE = ZoneInfo("Asia/Taipei")
NYC = ZoneInfo("America/New_York")


def tpe(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TPE)


def nyc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NYC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 5, 10), 12, date(2027, 5, 10)),
    ],
)
def test_calendar_months_clamp_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_a_month_wait_keeps_the_local_time() -> None:
    # Given 31 January 14:30 in Taipei / When waiting one month / Then 28 February 14:30
    assert shift(tpe("2026-01-31T14:30"), Offset(months=1), TPE) == tpe("2026-02-28T14:30")


def test_days_keep_wall_clock_across_spring_forward_but_hours_are_elapsed() -> None:
    # Given Saturday 7 March 08:00 in New York, the day before clocks go forward
    start = nyc("2026-03-07T08:00")
    # When waiting 7 days / Then it is 08:00 again (only 167 real hours later)
    week = shift(start, Offset(days=7), NYC)
    assert week == nyc("2026-03-14T08:00")
    assert (week - start).total_seconds() == 167 * 3600
    # When waiting 24 hours / Then it is 09:00 local: hours are elapsed time
    assert shift(start, Offset(hours=24), NYC) == nyc("2026-03-08T09:00")


def test_days_keep_wall_clock_across_fall_back() -> None:
    start = nyc("2026-10-31T09:00")
    assert shift(start, Offset(days=1), NYC) == nyc("2026-11-01T09:00")
    assert (shift(start, Offset(days=1), NYC) - start).total_seconds() == 25 * 3600


def test_negative_offsets_move_back() -> None:
    assert shift(tpe("2026-06-30T00:00"), Offset(days=-7), TPE) == tpe("2026-06-23T00:00")


def test_until_a_time_is_strictly_after_now() -> None:
    # Given 09:00 sharp / When waiting until "09:00" / Then tomorrow 09:00
    assert next_wall_clock(tpe("2026-03-02T09:00"), 9, 0, TPE) == tpe("2026-03-03T09:00")
    assert next_wall_clock(tpe("2026-03-02T08:59"), 9, 0, TPE) == tpe("2026-03-02T09:00")


def test_until_a_weekday_time() -> None:
    # 2026-03-07 is a Saturday
    assert next_wall_clock(tpe("2026-03-02T10:00"), 8, 0, TPE, weekday=5) == tpe("2026-03-07T08:00")
    assert next_wall_clock(tpe("2026-03-07T08:00"), 8, 0, TPE, weekday=5) == tpe("2026-03-14T08:00")
    assert next_wall_clock(tpe("2026-03-07T07:00"), 8, 0, TPE, weekday=5) == tpe("2026-03-07T08:00")


def test_until_a_time_skipped_by_dst_lands_just_after_the_change() -> None:
    # 8 March 2026 02:30 does not exist in New York: the clock jumps 02:00 → 03:00
    got = next_wall_clock(nyc("2026-03-08T01:00"), 2, 30, NYC)
    assert got == nyc("2026-03-08T03:30")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-03-02T22:00", "2026-03-03T09:00"),  # evening: next morning
        ("2026-03-02T03:00", "2026-03-02T09:00"),  # small hours: this morning
        ("2026-03-02T21:00", "2026-03-03T09:00"),  # the start is quiet
        ("2026-03-02T09:00", "2026-03-02T09:00"),  # the end is not
        ("2026-03-02T12:00", "2026-03-02T12:00"),  # daytime: now
    ],
)
def test_quiet_hours_across_midnight(now: str, expected: str) -> None:
    window = QuietHours(start="21:00", end="09:00")
    assert defer_for_quiet_hours(tpe(now), window, TPE) == tpe(expected)


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = QuietHours(start="12:00", end="13:30")
    assert defer_for_quiet_hours(tpe("2026-03-02T12:10"), lunch, TPE) == tpe("2026-03-02T13:30")
    assert quiet_window_end(tpe("2026-03-02T14:00"), lunch, TPE) is None
    assert defer_for_quiet_hours(tpe("2026-03-02T23:00"), None, TPE) == tpe("2026-03-02T23:00")


def test_quiet_hours_end_is_local_wall_clock_across_dst() -> None:
    # Saturday night before spring-forward in New York: the end is 09:00 EDT
    window = QuietHours(start="21:00", end="09:00")
    assert defer_for_quiet_hours(nyc("2026-03-07T22:00"), window, NYC) == nyc("2026-03-08T09:00")


def test_birthday_fires_yearly_at_the_local_time() -> None:
    got = next_date_fire("1990-05-20", "day", "09:00", Offset(), TPE, tpe("2026-03-01T00:00"))
    assert got == tpe("2026-05-20T09:00")
    # After this year's firing: next year
    assert next_date_fire("1990-05-20", "day", "09:00", Offset(), TPE, got) == tpe(
        "2027-05-20T09:00"
    )


def test_leap_day_birthday_falls_on_28_february_in_other_years() -> None:
    after = tpe("2026-01-01T00:00")
    assert next_date_fire("1992-02-29", "day", "09:00", Offset(), TPE, after) == tpe(
        "2026-02-28T09:00"
    )
    assert next_date_fire(
        "1992-02-29", "day", "09:00", Offset(), TPE, tpe("2027-12-31T00:00")
    ) == tpe("2028-02-29T09:00")


def test_month_match_fires_on_the_first() -> None:
    got = next_date_fire("1985-11-23", "month", "10:00", Offset(), TPE, tpe("2026-06-01T00:00"))
    assert got == tpe("2026-11-01T10:00")


def test_negative_offset_can_cross_into_the_previous_year() -> None:
    # A 2 January birthday, three days early → 30 December of the year before
    got = next_date_fire(
        "2000-01-02", "day", "09:00", Offset(days=-3), TPE, tpe("2026-06-01T00:00")
    )
    assert got == tpe("2026-12-30T09:00")


def test_date_fire_without_a_date_is_none() -> None:
    assert next_date_fire(None, "day", "09:00", Offset(), TPE, tpe("2026-06-01T00:00")) is None
    assert next_date_fire("soon", "day", "09:00", Offset(), TPE, tpe("2026-06-01T00:00")) is None


def test_cron_reads_local_time_and_day_names() -> None:
    # Given "0 8 * * SAT" in Taipei, from Monday 2 March 2026
    got = next_cron("0 8 * * SAT", TPE, tpe("2026-03-02T10:00"))
    assert got == tpe("2026-03-07T08:00")
    # Strictly after a firing
    assert next_cron("0 8 * * SAT", TPE, got) == tpe("2026-03-14T08:00")


def test_cron_across_dst_keeps_local_time() -> None:
    fires = [next_cron("0 8 * * SAT", NYC, nyc("2026-03-01T00:00"))]
    fires.append(next_cron("0 8 * * SAT", NYC, fires[0]))
    assert fires == [nyc("2026-03-07T08:00"), nyc("2026-03-14T08:00")]
    assert fires[0].hour == 13  # results are UTC: 08:00 EST is 13:00 UTC
    assert fires[1].hour == 12  # and 08:00 EDT is 12:00 UTC


def test_field_values_parse_as_instants() -> None:
    assert parse_instant("2026-05-10", TPE) == tpe("2026-05-10T00:00")
    assert parse_instant("2026-05-10T12:00:00Z", TPE) == tpe("2026-05-10T20:00")
    assert parse_instant("2026-05-10T12:00", TPE) == tpe("2026-05-10T12:00")
    assert parse_instant("female", TPE) is None
    assert parse_instant(12, TPE) is None
