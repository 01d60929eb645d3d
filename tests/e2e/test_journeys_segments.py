"""`{segment: ID}` in journey conditions through the simulator: a branch and an audience
answered from the segment index, with the segment moves of the very change that
triggered the journey already visible (docs/conditions.md "Segments in conditions")."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event, order


def test_a_journey_branches_on_a_segment(tmp_path: Path) -> None:
    # Given a VIP segment (3000 spent) and a thank-you journey on every order that
    # branches on it, and a reminder for members who are not VIP
    project = BrandProject(tmp_path)
    project.segment("vip", {"field": "stats.total_spent", "gte": 3000})
    for name in ("thanks-vip", "thanks", "not-vip-yet"):
        project.template(name, line=name)
    project.journey("""
        id: thanks
        trigger: {event: order.created}
        entry: {reentry: always}
        steps:
          - id: which
            branch:
              cases:
                - {when: {segment: vip}, goto: vip}
              else: regular
          - {id: vip, send: {channel: line, template: thanks-vip}, next: end}
          - {id: regular, send: {channel: line, template: thanks}}
    """)
    project.journey("""
        id: nudge
        trigger: {event: t.nudge}
        audience: {not: {segment: vip}}
        steps:
          - {id: nudge, send: {channel: line, template: not-vip-yet}}
    """)

    # When: one member crosses 3000 with their second order, another stays below,
    # and both are nudged later
    events = [
        order("U-big", "2026-03-02T10:00", total=2000),
        order("U-small", "2026-03-02T10:00", total=500),
        order("U-big", "2026-03-03T10:00", total=1500),
        order("U-small", "2026-03-03T10:00", total=500),
        event("t.nudge", "2026-03-04T10:00", "U-big"),
        event("t.nudge", "2026-03-04T10:00", "U-small"),
    ]
    out = project.simulate(events, until="2026-03-05")

    # Then: the order that made U-big a VIP is already thanked as a VIP (the segment as
    # it is after the change), U-small never; only U-small is nudged
    assert out.steps_of("U-big") == ["regular", "vip"]
    assert out.steps_of("U-small") == ["regular", "regular", "nudge"]
