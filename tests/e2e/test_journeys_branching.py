"""Branch, split and holdout through the simulator (SPEC §4): first matching case wins,
splits are deterministic per member and respect their weights, and a holdout control
group is enrolled but sent nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kairos.engine.enrolment import in_holdout, split_bucket
from kairos.ingest.identity import new_member_id
from kairos_dev.local.stack import DevSecrets
from tests.e2e.journey_builder import BrandProject, event, profile


def _member_id(line_user_id: str) -> str:
    return new_member_id(
        {"line_user_id": line_user_id}, DevSecrets.from_env().member_id_key.encode()
    )


def test_branch_split_and_holdout(tmp_path: Path) -> None:
    # Given the breakfast coupon by gender, a 70/30 A/B test, and a 25% holdout
    project = BrandProject(tmp_path)
    for name in ("coupon-30", "coupon-15", "coupon-20", "variant-a", "variant-b", "offer"):
        project.template(name, line=name)
    project.journey("""
        id: by-gender
        trigger: {event: t.branch}
        steps:
          - id: gender
            branch:
              cases:
                - {when: {field: profile.gender, eq: female}, goto: coupon-30}
                - {when: {field: profile.gender, in: [male, female]}, goto: coupon-15}
              else: coupon-20
          - {id: coupon-30, send: {channel: line, template: coupon-30}, next: end}
          - {id: coupon-15, send: {channel: line, template: coupon-15}, next: end}
          - {id: coupon-20, send: {channel: line, template: coupon-20}}
    """)
    project.journey("""
        id: ab
        trigger: {event: line.follow}
        entry: {reentry: always}
        steps:
          - id: pick
            split:
              - {weight: 70, goto: a}
              - {weight: 30, goto: b}
          - {id: a, send: {channel: line, template: variant-a}, next: end}
          - {id: b, send: {channel: line, template: variant-b}}
    """)
    project.journey("""
        id: lift
        trigger: {event: t.offer}
        entry: {reentry: always}
        holdout: 25
        steps:
          - {id: offer, send: {channel: line, template: offer}}
    """)
    followers = [f"U-split-{n:02d}" for n in range(40)]
    offered = [f"U-offer-{n:02d}" for n in range(12)]

    # When: three members of each gender (and none) take the branch; forty follow,
    # four of them twice; twelve get the offer twice
    events = [
        profile("U-female", "2026-03-02T09:00", gender="female"),
        profile("U-male", "2026-03-02T09:00", gender="male"),
        *[event("t.branch", "2026-03-02T10:00", who) for who in ("U-female", "U-male", "U-none")],
        *[event("line.follow", "2026-03-02T11:00", who) for who in followers],
        *[event("line.follow", "2026-03-03T11:00", who) for who in followers[:4]],
        *[event("t.offer", "2026-03-04T10:00", who) for who in offered],
        *[event("t.offer", "2026-03-05T10:00", who) for who in offered],
    ]
    out = project.simulate(events, until="2026-03-06")

    # Then: branch — the first matching case wins
    assert [(r[1], r[3]) for r in out.rows() if r[2] == "by-gender"] == [
        ("U-female", "coupon-30"),
        ("U-male", "coupon-15"),
        ("U-none", "coupon-20"),
    ]

    # split — each member on the arm its (journey, step, member) hash gives, the same arm
    # on a second entry, and roughly 70/30 over forty members
    expected = {
        who: "a" if split_bucket("ab", "pick", _member_id(who)) < 70 else "b" for who in followers
    }
    got: dict[str, list[str]] = {}
    for row in out.rows():
        if row[2] == "ab":
            got.setdefault(row[1], []).append(row[3])
    assert got == {who: [arm] * (2 if who in followers[:4] else 1) for who, arm in expected.items()}
    arms = Counter(expected.values())
    assert 20 <= arms["a"] <= 36 and 4 <= arms["b"] <= 20, arms

    # holdout — the control group (about a quarter) gets nothing, on either entry; the
    # others get both offers
    control = {who for who in offered if in_holdout("lift", _member_id(who), 25)}
    assert 1 <= len(control) <= 6, control  # both groups exist, so the test means something
    offers = Counter(r[1] for r in out.rows() if r[2] == "lift")
    assert offers == {who: 2 for who in offered if who not in control}
    assert {d.status for d in out.deliveries} == {"sent"}
