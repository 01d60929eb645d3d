"""Entry rules (reentry, cooldown, max_entries, audience, where), trigger loops, segment
entry, and the synthetic triggers of date and schedule journeys."""

from __future__ import annotations

from kairos.engine.compiled import compile_segment
from kairos.engine.enrolment import Enrolment, enrolment_id
from kairos.engine.entry import segment_entered, should_enrol
from kairos.engine.triggers import (
    date_trigger_event,
    next_date_fire_for,
    next_schedule_fire,
    schedule_trigger_event,
    segment_recheck_at,
    segment_trigger_event,
)
from kairos.models.member import Stats
from kairos.models.segment import Segment

from .helpers import TAIPEI_SETTINGS, ctx, event, journey, member, t

BREAKFAST = """
id: breakfast
name: b
trigger: {event: line.follow, where: {field: profile.join_source, eq: store-qr}}
audience: {field: profile.region, ne: 金門}
entry: {reentry: %s%s}
steps:
  - wait: {days: 7}
"""


def past(state: str = "completed", entered: str = "2026-03-01T10:00:00") -> Enrolment:
    return Enrolment(
        id="en-1",
        journey="breakfast",
        journey_version="v1",
        member_id="m-1",
        state=state,
        entered_at=t(entered),
    )


def decide(
    reentry: str,
    history: list[Enrolment],
    extra: str = "",
    when: str = "2026-03-10T10:00:00",
    **profile: str,
) -> tuple[bool, str]:
    j = journey(BREAKFAST % (reentry, extra))
    m = member(join_source="store-qr", **profile)
    ev = event("evt-1", "line.follow", when)
    now = t(when)
    decision = should_enrol(j, ctx(m, now, trigger=ev), ev, history, now)
    return decision.allowed, decision.reason


def test_the_trigger_where_and_audience_must_hold() -> None:
    assert decide("after_exit", []) == (True, "ok")
    j = journey(BREAKFAST % ("after_exit", ""))
    walk_in = member(join_source="walk-in")
    ev = event("evt-1", "line.follow", "2026-03-10T10:00:00")
    assert (
        should_enrol(
            j, ctx(walk_in, t("2026-03-10T10:00:00"), trigger=ev), ev, [], t("2026-03-10T10:00:00")
        ).reason
        == "trigger where does not hold"
    )
    assert decide("after_exit", [], region="金門") == (False, "not in audience")
    other = event("evt-2", "line.unfollow", "2026-03-10T10:00:00")
    assert (
        should_enrol(
            j,
            ctx(member(join_source="store-qr"), t("2026-03-10T10:00:00"), trigger=other),
            other,
            [],
            t("2026-03-10T10:00:00"),
        ).reason
        == "other event type"
    )


def test_reentry_never_after_exit_and_always() -> None:
    done, live = past("completed"), past("waiting")
    assert decide("never", [done]) == (False, "already entered (reentry: never)")
    assert decide("after_exit", [done]) == (True, "ok")
    assert decide("after_exit", [live]) == (False, "still enrolled (reentry: after_exit)")
    assert decide("always", [live, done]) == (True, "ok")


def test_cooldown_and_max_entries() -> None:
    history = [past("completed", "2026-03-01T10:00:00")]
    assert decide("always", history, ", cooldown: {days: 10}", when="2026-03-11T09:59:00") == (
        False,
        "in cooldown",
    )
    assert decide("always", history, ", cooldown: {days: 10}", when="2026-03-11T10:00:00") == (
        True,
        "ok",
    )
    assert decide("always", history * 2, ", max_entries: 2") == (False, "max_entries 2 reached")
    assert decide("always", history, ", max_entries: 2") == (True, "ok")


def test_a_journey_is_not_triggered_by_its_own_changes() -> None:
    text = """
id: tagger
name: t
trigger: {event: tag.added}
entry: {reentry: always}
steps:
  - tag: [again]
"""
    j = journey(text)
    own = event(
        "kairos:x",
        "tag.added",
        "2026-03-10T10:00:00",
        tag="again",
        kairos_origin={"journey": "tagger", "depth": 1},
    )
    now = t("2026-03-10T10:00:00")
    assert (
        should_enrol(j, ctx(member(), now, trigger=own), own, [], now).reason
        == "made by this journey (trigger loop)"
    )
    chain = event(
        "kairos:y",
        "tag.added",
        "2026-03-10T10:00:00",
        tag="x",
        kairos_origin={"journey": "other", "depth": 5},
    )
    assert not should_enrol(j, ctx(member(), now, trigger=chain), chain, [], now)
    outside = event("evt-1", "tag.added", "2026-03-10T10:00:00", tag="x")
    assert should_enrol(j, ctx(member(), now, trigger=outside), outside, [], now)


def test_enrolment_ids_are_deterministic_per_trigger() -> None:
    a = enrolment_id("j", "m-1", "evt-1")
    assert a == enrolment_id("j", "m-1", "evt-1")
    assert (
        len(
            {
                a,
                enrolment_id("j", "m-2", "evt-1"),
                enrolment_id("j", "m-1", "evt-2"),
                enrolment_id("k", "m-1", "evt-1"),
            }
        )
        == 4
    )


def test_segment_entry_is_false_before_and_true_after() -> None:
    vip, problems = compile_segment(
        Segment(id="vip", name="VIP", where={"field": "stats.total_spent", "gte": 10000}), "v1"
    )
    assert not problems
    now = t("2026-03-10T10:00:00")
    before = ctx(member(stats=Stats(order_count=3, total_spent=9000)), now)
    after = ctx(member(stats=Stats(order_count=4, total_spent=10500)), now)
    assert segment_entered(vip, before, after, now)
    assert not segment_entered(vip, after, after, now)  # already in: no new entry
    assert not segment_entered(vip, after, before, now)  # leaving is not entering
    assert segment_entered(vip, None, after, now)  # a new member who arrives inside


def test_dormancy_is_entered_with_time_and_says_when() -> None:
    dormant, _ = compile_segment(
        Segment(id="dormant", name="d", where={"field": "stats.days_since_last_order", "gt": 90}),
        "v1",
    )
    m = member(stats=Stats(order_count=1, total_spent=100, last_order_at=t("2026-02-01T12:00:00")))
    now = t("2026-03-01T10:00:00")
    recheck = segment_recheck_at(dormant, ctx(m, now), now, TAIPEI_SETTINGS.zone)
    assert recheck == t("2026-05-02T00:00:00")  # 90 days later: still 90, re-check again
    later = t("2026-05-03T00:00:00")
    assert segment_entered(dormant, ctx(m, recheck), ctx(m, later), later, before_now=recheck)
    trig = segment_trigger_event(dormant, "m-1", later, None)
    assert (
        trig["type"] == "segment.entered"
        and trig["id"] == "segment:dormant:m-1:2026-05-02T16:00:00Z"
    )


def test_birthday_trigger_fires_on_the_first_of_the_month_and_has_a_stable_id() -> None:
    text = """
id: birthday
name: b
trigger: {date: {field: profile.birthday, match: month, at: "09:00"}}
steps:
  - wait: {days: 1}
"""
    j = journey(text)
    m = member(birthday="1992-02-29")
    now = t("2026-01-15T00:00:00")
    fire = next_date_fire_for(j, ctx(m, now), now, TAIPEI_SETTINGS.zone)
    assert fire == t("2026-02-01T09:00:00")
    assert fire is not None
    trig = date_trigger_event(j, "m-1", fire, "1992-02-29")
    assert trig == date_trigger_event(j, "m-1", fire, "1992-02-29")
    assert trig["id"] == "date:birthday:m-1:2026-02-01T01:00:00Z"
    assert next_date_fire_for(j, ctx(member(), now), now, TAIPEI_SETTINGS.zone) is None


def test_schedule_trigger_fires_on_saturday_morning() -> None:
    text = """
id: weekend-coffee
name: w
trigger: {schedule: {cron: "0 8 * * SAT", segment: weekend-coffee}}
steps:
  - wait: {days: 1}
"""
    j = journey(text)
    fire = next_schedule_fire(j, t("2026-03-02T10:00:00"), TAIPEI_SETTINGS.zone)
    assert fire == t("2026-03-07T08:00:00")
    assert fire is not None
    assert schedule_trigger_event(j, fire)["id"] == "schedule:weekend-coffee:2026-03-07T00:00:00Z"
