"""Entry rules and goals through the simulator (SPEC §4): reentry never / after_exit /
always, cooldown, max_entries; exit_on goals (a conversion ends the enrolment, also
while it waits), with a `where` that ties the goal to the trigger (same coupon)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event, order


def _journey(journey_id: str, entry: str, wait_days: int | None = None) -> str:
    waits = (
        f"""
          - {{id: wait, wait: {{days: {wait_days}}}}}
          - {{id: later, send: {{channel: line, template: msg}}}}"""
        if wait_days
        else ""
    )
    return f"""
        id: {journey_id}
        trigger: {{event: t.{journey_id}}}
        entry: {entry}
        steps:
          - {{id: first, send: {{channel: line, template: msg}}}}{waits}
    """


def test_reentry_cooldown_and_max_entries(tmp_path: Path) -> None:
    # Given five journeys, one per entry rule; the ones with a wait stay live five days
    project = BrandProject(tmp_path)
    project.template("msg", line="msg")
    project.journey(_journey("never", "{reentry: never}"))
    project.journey(_journey("after-exit", "{reentry: after_exit}", wait_days=5))
    project.journey(_journey("always", "{reentry: always}", wait_days=5))
    project.journey(_journey("cooldown", "{reentry: after_exit, cooldown: {days: 7}}"))
    project.journey(_journey("max", "{reentry: always, max_entries: 2}"))

    # When: the same member triggers each journey several times
    days = {
        "never": ["01", "10"],
        "after-exit": ["01", "03", "10"],  # the 3rd: still enrolled (until the 6th)
        "always": ["01", "03"],
        "cooldown": ["01", "05", "08"],  # the 5th: within 7 days of the 1st
        "max": ["01", "02", "03"],
    }
    events = [
        event(f"t.{journey}", f"2026-03-{day}T10:00", "U-1")
        for journey, dates in days.items()
        for day in dates
    ]
    out = project.simulate(events, until="2026-03-20")

    # Then
    def sends(journey: str) -> list[tuple[str, str]]:
        return [(r[0], r[3]) for r in out.rows() if r[2] == journey]

    assert sends("never") == [("2026-03-01T10:00", "first")]
    assert sends("after-exit") == [
        ("2026-03-01T10:00", "first"),
        ("2026-03-06T10:00", "later"),
        ("2026-03-10T10:00", "first"),
        ("2026-03-15T10:00", "later"),
    ]
    assert sends("always") == [
        ("2026-03-01T10:00", "first"),
        ("2026-03-03T10:00", "first"),
        ("2026-03-06T10:00", "later"),
        ("2026-03-08T10:00", "later"),
    ]
    assert sends("cooldown") == [("2026-03-01T10:00", "first"), ("2026-03-08T10:00", "first")]
    assert sends("max") == [("2026-03-01T10:00", "first"), ("2026-03-02T10:00", "first")]


def test_goals_end_the_enrolment_as_a_conversion(tmp_path: Path) -> None:
    # Given a welcome series that ends when the member orders (also while waiting for
    # a quiz answer), and coupon-expiry reminders that end when *that* coupon is used
    project = BrandProject(tmp_path)
    for name in ("welcome", "reminder", "last-call", "expiry"):
        project.template(name, line=name + " {{ event.data.coupon_id or '' }}")
    project.journey("""
        id: welcome
        trigger: {event: line.follow}
        exit_on: [{event: order.created, where: {field: event.data.total, gte: 100}}]
        steps:
          - {id: welcome, send: {channel: line, template: welcome}}
          - {id: three-days, wait: {days: 3}}
          - {id: reminder, send: {channel: line, template: reminder}}
          - id: answer
            wait_for: {event: line.postback, timeout: {days: 3}}
          - {id: last-call, send: {channel: line, template: last-call}}
    """)
    project.journey("""
        id: coupon-expiry
        trigger: {event: coupon.issued}
        entry: {reentry: always}
        exit_on:
          - event: coupon.redeemed
            where: {field: event.data.coupon_id, eq_field: trigger.data.coupon_id}
        steps:
          - id: week-before
            wait: {until_field: trigger.data.expires_at, offset: {days: -7}}
          - {id: expiry, send: {channel: line, template: expiry}}
    """)

    # When
    out = project.simulate(
        [
            event("line.follow", "2026-03-02T10:00", "U-buys"),
            event("line.follow", "2026-03-02T10:00", "U-small"),
            event("line.follow", "2026-03-02T10:00", "U-late"),
            event("line.follow", "2026-03-02T10:00", "U-never"),
            order("U-buys", "2026-03-03T10:00", total=500),  # before the reminder
            order("U-small", "2026-03-03T10:00", total=50),  # where does not hold
            order("U-late", "2026-03-06T10:00", total=500),  # while in wait_for
            event("coupon.issued", "2026-03-01T10:00", "U-coupons",
                  {"coupon_id": "C1", "expires_at": "2026-03-31T10:00:00+08:00"}),
            event("coupon.issued", "2026-03-01T10:00", "U-coupons",
                  {"coupon_id": "C2", "expires_at": "2026-03-31T10:00:00+08:00"}),
            event("coupon.redeemed", "2026-03-10T10:00", "U-coupons", {"coupon_id": "C1"}),
        ],
        until="2026-04-01",
    )  # fmt: skip

    # Then
    welcome = [(r[0], r[1], r[3]) for r in out.rows() if r[2] == "welcome"]
    assert welcome == [
        ("2026-03-02T10:00", "U-buys", "welcome"),
        ("2026-03-02T10:00", "U-late", "welcome"),
        ("2026-03-02T10:00", "U-never", "welcome"),
        ("2026-03-02T10:00", "U-small", "welcome"),
        ("2026-03-05T10:00", "U-late", "reminder"),
        ("2026-03-05T10:00", "U-never", "reminder"),
        ("2026-03-05T10:00", "U-small", "reminder"),
        ("2026-03-08T10:00", "U-never", "last-call"),
        ("2026-03-08T10:00", "U-small", "last-call"),
    ]
    assert [(r[0], r[3]) for r in out.rows(text=True) if r[2] == "coupon-expiry"] == [
        ("2026-03-24T10:00", "expiry"),
    ]
    assert [d.text for d in out.deliveries if d.journey == "coupon-expiry"] == ["expiry C2"]
