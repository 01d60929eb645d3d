"""LINE's monthly limit through the simulator: with `monthly_limit_reached: next_month`
a send the month has no room for is kept and goes on LINE when the next month begins
(after quiet hours), once; with the default it takes the step's fallback."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event


def project(tmp_path: Path, reached: str | None) -> BrandProject:
    line: dict[str, object] = {"monthly_limit": 2}
    if reached is not None:
        line["monthly_limit_reached"] = reached
    settings = {"channels": {"line": line}, "quiet_hours": {"start": "21:00", "end": "09:00"}}
    brand = BrandProject(tmp_path, settings)
    brand.template("news", line="本週新品上架！", email="This week's new arrivals")
    brand.journey("""
        id: news
        trigger: {event: t.news}
        steps:
          - {id: news, send: {channel: line, template: news, fallback: [email]}}
    """)
    return brand


def three_members_in_march() -> list[dict[str, object]]:
    return [
        event("t.news", f"2026-03-30T1{i}:00", {"line_user_id": f"U{i}", "email": f"m{i}@x.co"})
        for i in range(3)
    ]


def test_a_send_the_month_cannot_take_waits_for_the_next_month(tmp_path: Path) -> None:
    out = project(tmp_path, "next_month").simulate(three_members_in_march(), until="2026-04-03")
    # Two fit March's allowance; the third goes on LINE on 1 April once quiet hours end
    assert [(r[0], r[1], r[5], r[6]) for r in out.rows()] == [
        ("2026-03-30T10:00", "U0", "line", "sent"),
        ("2026-03-30T11:00", "U1", "line", "sent"),
        ("2026-04-01T09:00", "U2", "line", "sent"),
    ]


def test_by_default_the_step_falls_back_instead(tmp_path: Path) -> None:
    out = project(tmp_path, None).simulate(three_members_in_march(), until="2026-04-03")
    assert [(r[0], r[1], r[5], r[6]) for r in out.rows()] == [
        ("2026-03-30T10:00", "U0", "line", "sent"),
        ("2026-03-30T11:00", "U1", "line", "sent"),
        ("2026-03-30T12:00", "U2", "email", "sent"),
    ]
