"""Conditions (SPEC §3): compiling with precise reasons, and evaluating every operator."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kairos.engine.condition_compiler import compile_condition
from kairos.engine.conditions import ConditionError
from kairos.engine.paths import MEMBER_SCOPE, Scope

from .helpers import t

NOW = t("2026-06-01T10:00:00")
UTC = ZoneInfo("UTC")
SCOPE = Scope(send_steps=frozenset({"mail"}), step_ids=frozenset({"mail", "wait-1"}))
CTX: dict[str, Any] = {
    "profile": {"gender": "female", "name": "小美", "region": None, "consent": {"email": False}},
    "tags": ["vip", "likes-mocha"],
    "stats": {"order_count": 3, "total_spent": 4200.0, "last_order_at": "2026-05-20T09:00:00+08:00",
              "category_counts": {"coffee": 4}, "days_since_last_order": 12},
    "trigger": {"id": "e1", "type": "coupon.issued", "data": {"coupon_id": "C1", "expires_at": "2026-06-05T00:00:00+08:00"}},
    "event": {"id": "e2", "type": "order.created", "data": {"coupon_id": "C1", "items": [
        {"sku": "MAT-QUEEN", "category": "mattress", "tags": ["big", "heavy"]}, {"sku": "PIL", "category": "pillow"}]}},
    "steps": {"mail": {"sent": True, "opened": False}},
    "_tz": "Asia/Taipei",
}  # fmt: skip


def holds(cond: dict[str, Any]) -> bool:
    return compile_condition(cond, SCOPE).holds(CTX, NOW)


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"field": "profile.gender", "eq": "female"}, True),
        ({"field": "profile.gender", "eq": "male"}, False),
        ({"field": "profile.gender", "ne": "male"}, True),
        ({"field": "profile.missing", "ne": "male"}, True),  # absent is "not male"
        ({"field": "profile.missing", "eq": "male"}, False),
        ({"field": "stats.total_spent", "gte": 4200}, True),
        ({"field": "stats.total_spent", "gt": 4200}, False),
        ({"field": "stats.order_count", "lt": 3.5}, True),
        ({"field": "stats.order_count", "lte": 2}, False),
        ({"field": "stats.last_order_at", "gt": "2026-05-19"}, True),  # times compare as instants
        ({"field": "stats.last_order_at", "lt": "2026-05-20T00:59:00Z"}, False),
        ({"field": "profile.gender", "in": ["female", "other"]}, True),
        ({"field": "profile.gender", "not_in": ["female"]}, False),
        ({"field": "tags", "contains": "vip"}, True),
        ({"field": "tags", "contains": "v"}, False),  # membership, not substring, for a set
        ({"field": "profile.name", "contains": "美"}, True),  # substring for text
        ({"field": "tags", "eq": "likes-mocha"}, True),  # a list field: any element
        ({"field": "tags", "ne": "vip"}, False),  # negation: no element is vip
        ({"field": "profile.name", "exists": True}, True),
        ({"field": "profile.region", "exists": True}, False),  # null is absent
        ({"field": "profile.region", "exists": False}, True),
        ({"field": "profile.consent.email", "eq": False}, True),
        ({"field": "profile.consent.email", "eq": 0}, False),  # booleans are not numbers
        ({"field": "profile.name", "starts_with": "小"}, True),
        ({"field": "stats.last_order_at", "within_days": 12}, True),
        ({"field": "stats.last_order_at", "within_days": 11}, False),
        ({"field": "trigger.data.expires_at", "within_days": 7}, True),  # the future counts too
        ({"field": "stats.last_order_at", "older_than_days": 11}, True),
        ({"field": "stats.last_order_at", "older_than_days": 12}, False),
        ({"field": "event.data.items[].category", "eq": "mattress"}, True),
        ({"field": "event.data.items[].category", "eq": "sofa"}, False),
        ({"field": "event.data.items[].category", "ne": "mattress"}, False),  # none may be one
        ({"field": "event.data.items[].category", "in": ["sofa", "pillow"]}, True),
        ({"field": "event.data.items[].tags[]", "eq": "heavy"}, True),  # two crossings flatten
        ({"field": "event.data.items[].sku", "starts_with": "MAT"}, True),
        ({"field": "event.data.items.1.sku", "eq": "PIL"}, True),
        ({"field": "event.data.items[].category", "exists": True}, True),
        ({"field": "event.data.coupon_id", "eq_field": "trigger.data.coupon_id"}, True),
        ({"field": "event.data.coupon_id", "ne_field": "trigger.data.coupon_id"}, False),
        ({"field": "event.data.nothing", "eq_field": "trigger.data.nothing"}, False),
        ({"field": "stats.category_counts.coffee", "gte": 4}, True),
        ({"field": "steps.mail.opened", "ne": True}, True),
        ({"field": "steps.mail.sent", "eq": True}, True),
        (
            {
                "all": [
                    {"field": "tags", "contains": "vip"},
                    {"field": "profile.gender", "eq": "female"},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"field": "tags", "contains": "vip"},
                    {"field": "profile.gender", "eq": "male"},
                ]
            },
            False,
        ),
        (
            {
                "any": [
                    {"field": "tags", "contains": "x"},
                    {"field": "profile.gender", "eq": "female"},
                ]
            },
            True,
        ),
        ({"not": {"field": "tags", "contains": "vip"}}, False),
    ],
)
def test_operator_semantics(cond: dict[str, Any], expected: bool) -> None:
    # Given a member context / When the condition is evaluated / Then:
    assert holds(cond) is expected


def test_date_only_values_are_local_midnight_in_the_brand_zone() -> None:
    # Given a time 23:30 UTC on 31 May, which is 1 June 07:30 in Taipei
    ctx = {**CTX, "profile": {"visited_at": "2026-05-31T23:30:00Z"}}
    cond = compile_condition({"field": "profile.visited_at", "gte": "2026-06-01"}, SCOPE)
    # Then it is on or after 1 June in Taipei, but not in UTC
    assert cond.holds(ctx, NOW) is True
    assert cond.holds({**ctx, "_tz": "UTC"}, NOW) is False


def test_every_problem_is_reported_with_its_place() -> None:
    # Given a condition with four different mistakes
    raw = {"all": [
        {"field": "stat.order_count", "gte": 1},
        {"field": "profile.gender", "equal": "female"},
        {"field": "profile.gender", "in": "female"},
        {"any": []},
        {"field": "steps.wait-1.opened", "eq": True},
        {"field": "steps.nope.clicked", "eq": True},
        {"field": "stats.rfm.x", "eq": 1},
        {"field": "profile.gender", "eq": "f", "ne": "m"},
    ]}  # fmt: skip
    # When it is compiled
    with pytest.raises(ConditionError) as caught:
        compile_condition(raw, SCOPE, "audience")
    # Then each mistake is named at its place
    problems = [(p.where, p.reason) for p in caught.value.problems]
    assert (
        problems[0][0] == "audience.all[0]" and "unknown path 'stat.order_count'" in problems[0][1]
    )
    assert problems[1] == ("audience.all[1]", "unknown operator 'equal'; did you mean eq?")
    assert problems[2] == ("audience.all[2]", "in takes a non-empty list, e.g. [a, b]")
    assert problems[3] == ("audience.all[3].any", "any takes a non-empty list of conditions")
    assert "step wait-1 is not a send step" in problems[4][1]
    assert "no step 'nope' in this journey" in problems[5][1]
    assert "stats.rfm.r" in problems[6][1]
    assert "one operator per condition" in problems[7][1]
    assert len(problems) == 8


def test_segments_cannot_read_enrolment_paths() -> None:
    # Given a segment condition reading the trigger
    # When compiled in the member scope / Then it is refused with the allowed roots
    with pytest.raises(
        ConditionError,
        match=r"trigger\.\* cannot be used in a segment \(use profile, tags, stats\)",
    ):
        compile_condition({"field": "trigger.data.x", "eq": 1}, MEMBER_SCOPE)


def test_unknown_statistics_and_weekday_keys_are_refused() -> None:
    with pytest.raises(ConditionError, match=r"unknown statistic 'stats\.total_spend'"):
        compile_condition({"field": "stats.total_spend", "gt": 1}, MEMBER_SCOPE)
    with pytest.raises(ConditionError, match="weekday_counts keys are mon"):
        compile_condition({"field": "stats.weekday_counts.saturday", "gt": 1}, MEMBER_SCOPE)


def test_a_time_based_condition_says_when_to_look_again() -> None:
    # Given "more than 90 days since the last order", last order 1 March 15:00 Taipei
    cond = compile_condition({"field": "stats.days_since_last_order", "gt": 90}, MEMBER_SCOPE)
    ctx = {"stats": {"last_order_at": "2026-03-01T15:00:00+08:00", "days_since_last_order": 10}}
    # When asked for the next change after 11 March
    from zoneinfo import ZoneInfo

    nxt = cond.next_change(ctx, t("2026-03-11T10:00:00"), ZoneInfo("Asia/Taipei"))
    # Then it is local midnight 90 days after the order's day (then 91: a superset is fine)
    assert nxt == t("2026-05-30T00:00:00")


# ---- {segment: ID} ---------------------------------------------------------------------------


def test_a_segment_leaf_asks_the_contexts_segment_answers() -> None:
    scope = Scope(segments=frozenset({"vip", "dormant"}))
    in_vip = compile_condition({"segment": "vip"}, scope)
    not_vip = compile_condition({"not": {"segment": "vip"}}, scope)
    either = compile_condition({"any": [{"segment": "dormant"}, {"segment": "vip"}]}, scope)
    member = {**CTX, "_segments": {"vip"}}
    assert in_vip.holds(member, NOW) and not not_vip.holds(member, NOW)
    assert either.holds(member, NOW)
    outsider = {**CTX, "_segments": set()}
    assert not in_vip.holds(outsider, NOW) and not_vip.holds(outsider, NOW)
    # a context built without segment answers has the member in no segment
    assert not in_vip.holds(CTX, NOW) and not_vip.holds(CTX, NOW)
    assert list(in_vip.paths()) == [] and in_vip.next_change(member, NOW, UTC) is None


@pytest.mark.parametrize(
    ("cond", "scope", "reason"),
    [
        ({"segment": "vipp"}, Scope(segments=frozenset({"vip"})),
         "no segment 'vipp' (known: vip); did you mean vip?"),
        ({"segment": "vip"}, Scope(segments=frozenset()),
         "no segment 'vip' (known: none in segments/)"),
        ({"segment": "vip", "eq": 1}, SCOPE,
         "segment stands alone (got also eq); combine with all / any"),
        ({"segment": ["vip"]}, SCOPE, "segment takes one segment id, e.g. {segment: vip}"),
        ({"segment": "vip"}, MEMBER_SCOPE,
         "segment 'vip' cannot be used in a segment: a segment or lifecycle rule cannot "
         "depend on segments"),
    ],
)  # fmt: skip
def test_a_segment_leaf_is_checked(cond: dict[str, Any], scope: Scope, reason: str) -> None:
    with pytest.raises(ConditionError) as error:
        compile_condition({"all": [{"field": "tags", "contains": "x"}, cond]}, scope)
    assert [(p.where, p.reason) for p in error.value.problems] == [("all[1]", reason)]
