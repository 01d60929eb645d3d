"""Quiet hours, the frequency cap and channel choice through the simulator (SPEC §4, §6):
a marketing send in quiet hours goes when they end, transactional journeys ignore quiet
hours and the cap, sends over the cap are recorded `capped`, and a send goes out on the
first usable channel or is recorded `unreachable`."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event

SETTINGS = {
    "quiet_hours": {"start": "21:00", "end": "09:00"},
    "frequency_cap": {"max": 2, "per": {"days": 7}},
}


def test_quiet_hours_and_frequency_cap(tmp_path: Path) -> None:
    # Given quiet hours 21:00–09:00 and at most two marketing sends a week
    project = BrandProject(tmp_path, SETTINGS)
    for name in ("promo", "receipt", "news"):
        project.template(name, line=name)
    project.journey("""
        id: promo
        trigger: {event: t.promo}
        steps:
          - {id: promo, send: {channel: line, template: promo}}
    """)
    project.journey("""
        id: receipt
        trigger: {event: t.receipt}
        entry: {reentry: always}
        transactional: true
        steps:
          - {id: receipt, send: {channel: line, template: receipt}}
    """)
    project.journey("""
        id: news
        trigger: {event: t.news}
        steps:
          - {id: one, send: {channel: line, template: news}}
          - {id: gap-1, wait: {hours: 1}}
          - {id: two, send: {channel: line, template: news}}
          - {id: gap-2, wait: {hours: 1}}
          - {id: three, send: {channel: line, template: news}}
          - {id: week, wait: {days: 7}}
          - {id: four, send: {channel: line, template: news}}
    """)

    # When
    out = project.simulate(
        [
            event("t.promo", "2026-03-02T22:00", "U-night"),  # in quiet hours
            event("t.promo", "2026-03-02T10:00", "U-day"),
            event("t.receipt", "2026-03-02T22:30", "U-night"),  # transactional
            event("t.news", "2026-03-02T10:00", "U-busy"),
            event("t.receipt", "2026-03-02T13:00", "U-busy"),  # over the cap: still goes
        ],
        until="2026-03-12",
    )

    # Then
    assert out.short() == [
        ("2026-03-02T10:00", "U-busy", "one", "sent"),
        ("2026-03-02T10:00", "U-day", "promo", "sent"),
        ("2026-03-02T11:00", "U-busy", "two", "sent"),
        ("2026-03-02T12:00", "U-busy", "three", "capped"),
        ("2026-03-02T13:00", "U-busy", "receipt", "sent"),
        ("2026-03-02T22:30", "U-night", "receipt", "sent"),
        ("2026-03-03T09:00", "U-night", "promo", "sent"),  # deferred to the window's end
        ("2026-03-09T12:00", "U-busy", "four", "sent"),  # a week on, the window has room
    ]


def test_channels_fallback_auto_and_unreachable(tmp_path: Path) -> None:
    # Given a template for every channel and three ways to send it
    project = BrandProject(tmp_path)
    project.template("multi", line="by line", email="by email", sms="by sms")
    project.journey("""
        id: reach
        trigger: {event: t.reach}
        steps:
          - {id: line-only, send: {channel: line, template: multi}}
          - {id: fallback, send: {channel: line, template: multi, fallback: [email]}}
          - {id: auto, send: {channel: auto, template: multi}}
    """)
    line_only = {"line_user_id": "U-line"}
    email_only = {"email": "mail@example.com"}
    blocked = {"line_user_id": "U-blocked", "email": "blocked@example.com"}
    no_consent = {"email": "noconsent@example.com", "phone": "+886912000001"}

    # When
    out = project.simulate(
        [
            event("line.follow", "2026-03-02T09:00", line_only),
            event("profile.updated", "2026-03-02T09:00", email_only, {"name": "Mei"}),
            event("line.follow", "2026-03-02T09:00", blocked),
            event("line.unfollow", "2026-03-02T09:30", blocked),
            event("profile.updated", "2026-03-02T09:00", no_consent, {"consent": {"email": False}}),
            *[
                event("t.reach", "2026-03-02T10:00", who)
                for who in (line_only, email_only, blocked, no_consent)
            ],
        ],
        until="2026-03-03",
    )

    # Then: (who, step, channel, status, text)
    got = [(r[1], r[3], r[5], r[6], r[7]) for r in out.rows(text=True)]
    assert sorted(got) == sorted(
        [
            ("U-line", "line-only", "line", "sent", "by line"),
            ("U-line", "fallback", "line", "sent", "by line"),
            ("U-line", "auto", "line", "sent", "by line"),
            ("mail@example.com", "line-only", None, "unreachable", None),
            ("mail@example.com", "fallback", "email", "sent", "by email"),
            ("mail@example.com", "auto", "email", "sent", "by email"),
            ("U-blocked", "line-only", None, "unreachable", None),
            ("U-blocked", "fallback", "email", "sent", "by email"),
            ("U-blocked", "auto", "email", "sent", "by email"),
            ("noconsent@example.com", "line-only", None, "unreachable", None),
            ("noconsent@example.com", "fallback", None, "unreachable", None),
            ("noconsent@example.com", "auto", "sms", "sent", "by sms"),
        ]
    )
    assert {r[0] for r in out.rows()} == {"2026-03-02T10:00"}
    unreachable = {d.step: d.reason for d in out.deliveries if d.member.get("phone")}
    assert unreachable["fallback"] == "line: no line_user_id; email: no consent"
