"""Derived statistics: days since the last order, RFM scores and segment, lifecycle."""

from __future__ import annotations

import pytest

from kairos.engine.derived import lifecycle_rules, member_context, rfm_scores
from kairos.models.member import Member, Stats
from kairos.models.settings import LifecycleStage, Rfm, Settings

from .helpers import t


@pytest.mark.parametrize(
    ("days", "orders", "spent", "expected"),
    [
        (10, 8, 12000, (5, 5, 5, "champions")),
        (30, 5, 6000, (5, 4, 4, "champions")),
        (31, 3, 3000, (4, 3, 3, "loyal")),
        (20, 1, 500, (5, 1, 1, "new")),
        (45, 2, 800, (4, 2, 1, "promising")),
        (120, 5, 9000, (2, 4, 4, "at_risk")),
        (120, 1, 300, (2, 1, 1, "hibernating")),
        (400, 2, 300, (1, 2, 1, "lost")),
    ],
)
def test_rfm_scores_and_segments(
    days: int, orders: int, spent: float, expected: tuple[object, ...]
) -> None:
    scores = rfm_scores(days, orders, spent, Rfm())
    assert (scores["r"], scores["f"], scores["m"], scores["segment"]) == expected


def test_no_orders_means_no_rfm() -> None:
    assert rfm_scores(None, 0, 0, Rfm()) == {"r": None, "f": None, "m": None, "segment": None}


def test_member_context_derives_at_evaluation_time() -> None:
    # Given a member whose last order was at 23:00 on 1 March (Taipei)
    member = Member(
        member_id="m-1",
        profile={"name": "小美"},
        tags=["b", "a", "a"],
        stats=Stats(order_count=2, total_spent=3500, last_order_at=t("2026-03-01T23:00:00")),
        identifiers={"line_user_id": "U1"},
    )
    # When evaluated at 08:00 the next morning
    ctx = member_context(
        member, Settings(), t("2026-03-02T08:00:00"), trigger={"id": "e1", "type": "x.y"}
    )
    # Then it is one calendar day ago, and the derived fields are there
    assert ctx["stats"]["days_since_last_order"] == 1
    assert ctx["stats"]["rfm"] == {"r": 5, "f": 2, "m": 3, "segment": "promising"}
    assert ctx["stats"]["lifecycle"] == "loyal"
    assert ctx["tags"] == ["a", "b"]
    assert ctx["profile"]["line_user_id"] == "U1"
    # and `event` defaults to the trigger outside exit_on / wait_for
    assert ctx["event"] == ctx["trigger"] == {"id": "e1", "type": "x.y"}


def test_lifecycle_first_match_wins_and_can_use_rfm() -> None:
    settings = Settings(
        lifecycle=[
            LifecycleStage(
                stage="champion", when={"field": "stats.rfm.segment", "eq": "champions"}
            ),
            LifecycleStage(stage="buyer", when={"field": "stats.order_count", "gte": 1}),
        ]
    )
    now = t("2026-03-02T08:00:00")
    big = Member(member_id="m", stats=Stats(order_count=9, total_spent=20000, last_order_at=now))
    small = Member(member_id="m", stats=Stats(order_count=1, total_spent=10, last_order_at=now))
    nobody = Member(member_id="m")
    assert member_context(big, settings, now)["stats"]["lifecycle"] == "champion"
    assert member_context(small, settings, now)["stats"]["lifecycle"] == "buyer"
    assert member_context(nobody, settings, now)["stats"]["lifecycle"] is None


def test_default_lifecycle_prospect_and_lead() -> None:
    now = t("2026-03-02T08:00:00")
    follower = Member(member_id="m", profile={"line_following": True})
    lead = Member(member_id="m", profile={"line_following": True}, tags=["inquired"])
    assert member_context(follower, Settings(), now)["stats"]["lifecycle"] == "prospect"
    assert member_context(lead, Settings(), now)["stats"]["lifecycle"] == "lead"


def test_the_lifecycle_rules_follow_the_settings_stages() -> None:
    settings = Settings()
    first = lifecycle_rules(settings)
    assert lifecycle_rules(settings) is first  # compiled once
    # A stage changed in place, or the stages replaced, compile anew
    settings.lifecycle[0].when["gte"] = 9
    member = Member(member_id="m1", stats=Stats(referrals=3))
    now = t("2026-03-01T00:00:00+08:00")
    assert member_context(member, settings, now)["stats"]["lifecycle"] != "golden"
    settings.lifecycle = [LifecycleStage(stage="vip", when={"field": "stats.referrals", "gte": 3})]
    assert [stage for stage, _ in lifecycle_rules(settings)] == ["vip"]
    assert member_context(member, settings, now)["stats"]["lifecycle"] == "vip"
