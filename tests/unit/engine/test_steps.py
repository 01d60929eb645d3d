"""The step engine: every step kind, waits, quiet hours, holdout, split, goals and
wait_for, with the effects an evaluator would apply."""

from __future__ import annotations

from collections import Counter as Tally

from kairos.engine.advance import on_event, resume, start
from kairos.engine.effects import Counter, EnterJourney, Exit, HeldOut, MemberChange, Send, Timer
from kairos.engine.enrolment import in_holdout
from kairos.engine.steps import Outcome
from kairos.models.send_request import delivery_id_for

from .helpers import ctx, event, journey, member, runtime, t

BREAKFAST = """
id: breakfast-qr-coupon
name: 早餐店
trigger: {event: line.follow, where: {field: profile.join_source, eq: store-qr}}
exit_on: [{event: line.unfollow}]
steps:
  - id: wait-7
    wait: {days: 7}
  - id: by-gender
    branch:
      cases:
        - {when: {field: profile.gender, eq: female}, goto: coupon-30}
      else: coupon-15
  - id: coupon-30
    send: {channel: line, template: coupon-30, fallback: [sms]}
    next: wait-7
  - id: coupon-15
    send: {channel: line, template: coupon-15}
    next: wait-7
"""


def of(outcome: Outcome, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in outcome.effects if isinstance(e, kind)]


def begin(yaml_text: str, when: str, rt=None, m=None, trigger=None):  # type: ignore[no-untyped-def]
    j = journey(yaml_text)
    rt = rt or runtime()
    m = m or member(gender="female", join_source="store-qr")
    trig = trigger or event("evt-1", "line.follow", when)
    now = t(when)
    return j, rt, m, start(j, m.member_id, ctx(m, now, rt, trigger=trig), trig, now, rt)


def test_breakfast_coupon_every_seven_days_by_gender() -> None:
    # Given a woman who followed from the store QR on Monday 2 March 08:10
    j, rt, m, out = begin(BREAKFAST, "2026-03-02T08:10:00")
    # Then she waits seven days
    e = out.enrolment
    assert (e.state, e.step, e.pending) == ("waiting", "wait-7", "wait")
    assert of(out, Timer) == [
        Timer(enrolment_id=e.id, member_id="m-1", at=t("2026-03-09T08:10:00"), reason="wait")
    ]
    assert not of(out, Send)
    # When the timer comes due
    now = t("2026-03-09T08:10:00")
    out = resume(e, j, ctx(m, now, rt), now, rt)
    # Then she gets the 30 coupon, and waits another seven days
    [send] = out.sends()
    assert (send.template, send.channel, send.fallback, send.step) == (
        "coupon-30",
        "line",
        ["sms"],
        "coupon-30",
    )
    assert send.delivery_id == delivery_id_for(e.id, "coupon-30", 1)
    assert send.template_version == "tv1" and send.journey_version == "v1"
    assert out.enrolment.wait_until == t("2026-03-16T08:10:00")
    # When a week passes again, the loop sends a new delivery (a new visit)
    now2 = t("2026-03-16T08:10:00")
    out2 = resume(out.enrolment, j, ctx(m, now2, rt), now2, rt)
    assert out2.sends()[0].delivery_id == delivery_id_for(e.id, "coupon-30", 2)
    assert out2.enrolment.visits == {"wait-7": 3, "by-gender": 2, "coupon-30": 2}


def test_others_get_the_else_coupon() -> None:
    j, rt, _, out = begin(BREAKFAST, "2026-03-02T10:00:00")
    m = member(gender="male", join_source="store-qr")
    now = t("2026-03-09T10:00:00")
    assert resume(out.enrolment, j, ctx(m, now, rt), now, rt).sends()[0].template == "coupon-15"


def test_timers_that_are_early_or_stale_change_nothing() -> None:
    j, rt, m, out = begin(BREAKFAST, "2026-03-02T10:00:00")
    early = t("2026-03-09T09:59:59")
    assert resume(out.enrolment, j, ctx(m, early, rt), early, rt) == Outcome(out.enrolment)
    # Processing the same due timer twice: the second sees the moved-on enrolment's new
    # wait_until (in the future) and does nothing.
    due = t("2026-03-09T10:00:00")
    first = resume(out.enrolment, j, ctx(m, due, rt), due, rt)
    again = resume(first.enrolment, j, ctx(m, due, rt), due, rt)
    assert not again.changed and not again.effects


def test_every_change_bumps_the_version_for_a_conditional_write() -> None:
    j, rt, m, out = begin(BREAKFAST, "2026-03-02T10:00:00")
    assert (out.enrolment.version, out.expected_version, out.changed) == (1, 0, True)
    due = t("2026-03-09T10:00:00")
    nxt = resume(out.enrolment, j, ctx(m, due, rt), due, rt)
    assert (nxt.enrolment.version, nxt.expected_version) == (2, 1)


def test_the_same_inputs_give_the_same_outcome() -> None:
    _, _, _, a = begin(BREAKFAST, "2026-03-02T10:00:00")
    _, _, _, b = begin(BREAKFAST, "2026-03-02T10:00:00")
    assert a.enrolment == b.enrolment and a.effects == b.effects


def test_quiet_hours_defer_a_send_to_the_window_end() -> None:
    # Given quiet hours 21:00–09:00 and a send reached at 22:30
    text = """
id: hello
name: hi
trigger: {event: line.follow}
steps:
  - id: hi
    send: {template: hello}
  - tag: [greeted]
"""
    rt = runtime(quiet=("21:00", "09:00"))
    j, rt, m, out = begin(text, "2026-03-02T22:30:00", rt=rt)
    # Then nothing is sent; a timer waits for 09:00
    assert not out.sends()
    assert out.enrolment.pending == "send"
    assert (
        of(out, Timer)[0].at == t("2026-03-03T09:00:00")
        and of(out, Timer)[0].reason == "quiet_hours"
    )
    assert Counter(journey="hello", step="hi", name="deferred") in out.effects
    # When 09:00 comes, the send goes (same delivery id as its visit) and the journey goes on
    due = t("2026-03-03T09:00:00")
    nxt = resume(out.enrolment, j, ctx(m, due, rt), due, rt)
    [send] = nxt.sends()
    assert send.delivery_id == delivery_id_for(out.enrolment.id, "hi", 1)
    assert send.requested_at == due
    assert [c.data for c in of(nxt, MemberChange)] == [{"tag": "greeted"}]
    assert nxt.enrolment.state == "completed"


def test_transactional_journeys_ignore_quiet_hours() -> None:
    text = """
id: hotel
name: 住房
transactional: true
trigger: {event: booking.confirmed}
steps:
  - send: {template: hello}
"""
    _, _, _, out = begin(text, "2026-03-02T23:30:00", rt=runtime(quiet=("21:00", "09:00")))
    [send] = out.sends()
    assert send.transactional is True
    assert out.enrolment.state == "completed"
    assert of(out, Exit)[0].reason == "completed"


def test_holdout_members_walk_the_journey_but_are_sent_nothing() -> None:
    text = """
id: control
name: c
holdout: 50
trigger: {event: line.follow}
steps:
  - id: hi
    send: {template: hello}
"""
    # Given the members a 50% holdout puts in the control group (deterministic)
    held = [f"m-{i}" for i in range(40) if in_holdout("control", f"m-{i}", 50)]
    sent = [f"m-{i}" for i in range(40) if not in_holdout("control", f"m-{i}", 50)]
    assert 10 < len(held) < 30
    # When one of them enters
    _, _, _, out = begin(text, "2026-03-02T10:00:00", m=member(held[0]))
    # Then a held_out effect is recorded instead of a send
    assert not out.sends()
    [h] = of(out, HeldOut)
    assert h.delivery_id == delivery_id_for(out.enrolment.id, "hi", 1) and h.template == "hello"
    assert out.enrolment.holdout is True
    # And the others get the send
    _, _, _, out = begin(text, "2026-03-02T10:00:00", m=member(sent[0]))
    assert len(out.sends()) == 1


def test_split_is_deterministic_per_member_and_follows_weights() -> None:
    text = """
id: ab
name: ab
trigger: {event: line.follow}
steps:
  - split: [{weight: 20, goto: a}, {weight: 80, goto: b}]
  - id: a
    tag: [arm-a]
    next: end
  - id: b
    tag: [arm-b]
"""
    arms: Tally[str] = Tally()
    for i in range(1000):
        _, _, _, out = begin(text, "2026-03-02T10:00:00", m=member(f"m-{i}"))
        arms[of(out, MemberChange)[0].data["tag"]] += 1
        if i < 20:  # same member, another enrolment: same arm
            _, _, _, again = begin(
                text,
                "2026-04-02T10:00:00",
                m=member(f"m-{i}"),
                trigger=event("evt-2", "line.follow", "2026-04-02T10:00:00"),
            )
            assert of(again, MemberChange)[0].data == of(out, MemberChange)[0].data
    assert 150 < arms["arm-a"] < 250 and arms["arm-a"] + arms["arm-b"] == 1000


def test_tags_and_sets_are_member_changes_seen_by_later_steps() -> None:
    text = """
id: vip
name: vip
trigger: {segment: vip}
steps:
  - tag: [vip, gold]
  - untag: [prospect]
  - set: {tier: gold}
  - branch:
      cases:
        - when: {all: [{field: tags, contains: gold}, {field: profile.tier, eq: gold}]}
          goto: yes
      else: end
  - id: yes
    enter: welcome-gold
"""
    trig = {"id": "seg-1", "type": "order.created", "time": "2026-03-02T10:00:00+08:00", "data": {}}
    _, _, _, out = begin(text, "2026-03-02T10:00:00", m=member(tags=["prospect"]), trigger=trig)
    changes = of(out, MemberChange)
    assert [(c.type, c.data) for c in changes] == [
        ("tag.added", {"tag": "vip"}), ("tag.added", {"tag": "gold"}),
        ("tag.removed", {"tag": "prospect"}), ("profile.updated", {"tier": "gold"}),
    ]  # fmt: skip
    eid = out.enrolment.id
    assert changes[0].event_id == f"kairos:{eid}:step-1:1:vip"
    assert changes[0].origin == {"journey": "vip", "step": "step-1", "enrolment": eid, "depth": 1}
    [enter] = of(out, EnterJourney)
    assert enter.journey == "welcome-gold" and enter.trigger == trig
    assert enter.key == f"enter:{eid}:yes:1"
    canonical = changes[0].canonical({"external_id": "c-1"})
    assert (
        canonical["type"] == "tag.added" and canonical["data"]["kairos_origin"]["journey"] == "vip"
    )


def test_exit_step_and_next_end() -> None:
    text = """
id: x
name: x
trigger: {event: line.follow}
steps:
  - branch:
      cases: [{when: {field: profile.gender, eq: female}, goto: bye}]
  - tag: [male]
    next: end
  - id: bye
    exit: true
"""
    _, _, _, out = begin(text, "2026-03-02T10:00:00")
    assert (out.enrolment.state, out.enrolment.exit_reason, out.enrolment.step) == (
        "exited",
        "exit step",
        None,
    )
    assert of(out, Exit)[0].converted is False
    _, _, _, out = begin(text, "2026-03-02T10:00:00", m=member(gender="male"))
    assert out.enrolment.state == "completed" and of(out, MemberChange)[0].data == {"tag": "male"}


COUPON = """
id: coupon-expiry
name: 優惠券到期提醒
trigger: {event: coupon.issued}
entry: {reentry: always}
exit_on:
  - event: coupon.redeemed
    where: {field: event.data.coupon_id, eq_field: trigger.data.coupon_id}
steps:
  - id: week-before
    wait: {until_field: trigger.data.expires_at, offset: {days: -7}}
  - id: reminder
    send: {template: hello}
"""


def test_coupon_reminder_waits_until_a_week_before_expiry() -> None:
    trig = event(
        "evt-1",
        "coupon.issued",
        "2026-04-01T10:00:00",
        coupon_id="C1",
        expires_at="2026-05-31T23:59:00+08:00",
    )
    _, _, _, out = begin(COUPON, "2026-04-01T10:00:00", trigger=trig)
    assert out.enrolment.wait_until == t("2026-05-24T23:59:00")


def test_redeeming_the_same_coupon_exits_as_a_conversion_but_another_does_not() -> None:
    trig = event(
        "evt-1",
        "coupon.issued",
        "2026-04-01T10:00:00",
        coupon_id="C1",
        expires_at="2026-05-31T23:59:00+08:00",
    )
    j, rt, m, out = begin(COUPON, "2026-04-01T10:00:00", trigger=trig)
    now = t("2026-04-10T12:00:00")
    other = event("evt-2", "coupon.redeemed", "2026-04-10T12:00:00", coupon_id="C2")
    got = on_event(out.enrolment, j, ctx(m, now, rt, trigger=trig, ev=other), other, now, rt)
    assert not got.changed
    same = event("evt-3", "coupon.redeemed", "2026-04-10T12:00:00", coupon_id="C1")
    got = on_event(out.enrolment, j, ctx(m, now, rt, trigger=trig, ev=same), same, now, rt)
    assert (got.enrolment.state, got.enrolment.converted, got.enrolment.exit_reason) == (
        "exited",
        True,
        "goal coupon.redeemed",
    )
    assert Counter(journey="coupon-expiry", step=None, name="converted") in got.effects
    # The old timer, when it comes due, does nothing
    due = t("2026-05-24T23:59:00")
    assert not resume(got.enrolment, j, ctx(m, due, rt), due, rt).changed


def test_until_field_in_the_past_goes_on_and_missing_exits() -> None:
    late = event(
        "evt-1",
        "coupon.issued",
        "2026-04-01T10:00:00",
        coupon_id="C1",
        expires_at="2026-04-03T00:00:00+08:00",
    )
    _, _, _, out = begin(COUPON, "2026-04-01T10:00:00", trigger=late, rt=runtime())
    assert len(out.sends()) == 1 and out.enrolment.state == "completed"
    bare = event("evt-1", "coupon.issued", "2026-04-01T10:00:00", coupon_id="C1")
    _, _, _, out = begin(COUPON, "2026-04-01T10:00:00", trigger=bare)
    assert (out.enrolment.state, out.enrolment.exit_reason) == (
        "exited",
        "no value at trigger.data.expires_at",
    )


def test_until_field_with_a_wall_clock_time_on_a_date() -> None:
    text = """
id: hotel
name: h
trigger: {event: booking.confirmed}
steps:
  - wait: {until_field: trigger.data.check_in, offset: {days: -1}, at: "10:00"}
  - send: {template: hello}
"""
    trig = event("evt-1", "booking.confirmed", "2026-04-01T21:30:00", check_in="2026-04-20")
    _, _, _, out = begin(text, "2026-04-01T21:30:00", trigger=trig)
    assert out.enrolment.wait_until == t("2026-04-19T10:00:00")


def test_wait_until_a_weekday_time() -> None:
    text = """
id: sat
name: s
trigger: {event: line.follow}
steps:
  - wait: {until: "sat 08:00"}
  - send: {template: hello}
"""
    _, _, _, out = begin(text, "2026-03-02T10:00:00")
    assert out.enrolment.wait_until == t("2026-03-07T08:00:00")


QUIZ = """
id: welcome-quiz
name: quiz
trigger: {event: line.follow}
exit_on: [{event: line.unfollow}]
steps:
  - id: welcome
    send: {template: hello}
  - id: answer
    wait_for:
      event: line.postback
      where: {field: event.data.data, starts_with: "quiz="}
      timeout: {days: 3}
    on_event: thanks
    on_timeout: nudge
  - id: nudge
    tag: [no-answer]
    next: end
  - id: thanks
    tag: [answered]
"""


def test_wait_for_moves_on_the_matching_event() -> None:
    j, rt, m, out = begin(QUIZ, "2026-03-02T10:00:00")
    e = out.enrolment
    assert e.pending == "wait_for" and e.waiting_for is not None
    assert (e.waiting_for.event, e.waiting_for.step, e.waiting_for.timeout_at) == (
        "line.postback",
        "answer",
        t("2026-03-05T10:00:00"),
    )
    now = t("2026-03-03T11:00:00")
    # A postback that is not a quiz answer does not count
    chat = event("evt-2", "line.postback", "2026-03-03T11:00:00", data="menu=open")
    assert not on_event(e, j, ctx(m, now, rt, ev=chat), chat, now, rt).changed
    # The answer does
    answer = event("evt-3", "line.postback", "2026-03-03T11:00:00", data="quiz=frappuccino-3")
    got = on_event(e, j, ctx(m, now, rt, ev=answer), answer, now, rt)
    assert [c.data["tag"] for c in of(got, MemberChange)] == ["answered"]
    assert Counter(journey="welcome-quiz", step="answer", name="matched") in got.effects
    assert got.enrolment.state == "completed" and got.enrolment.waiting_for is None


def test_wait_for_times_out() -> None:
    j, rt, m, out = begin(QUIZ, "2026-03-02T10:00:00")
    due = t("2026-03-05T10:00:00")
    got = resume(out.enrolment, j, ctx(m, due, rt), due, rt)
    assert [c.data["tag"] for c in of(got, MemberChange)] == ["no-answer"]
    assert Counter(journey="welcome-quiz", step="answer", name="timed_out") in got.effects


def test_goals_win_over_wait_for_and_the_trigger_itself_is_not_an_answer() -> None:
    j, rt, m, out = begin(QUIZ, "2026-03-02T10:00:00")
    trig = out.enrolment.trigger
    assert not on_event(
        out.enrolment,
        j,
        ctx(m, t("2026-03-02T10:00:00"), rt, ev=trig),
        trig,
        t("2026-03-02T10:00:00"),
        rt,
    ).changed
    now = t("2026-03-03T10:00:00")
    unfollow = event("evt-9", "line.unfollow", "2026-03-03T10:00:00")
    got = on_event(out.enrolment, j, ctx(m, now, rt, ev=unfollow), unfollow, now, rt)
    assert got.enrolment.exit_reason == "goal line.unfollow" and got.enrolment.converted


def test_events_from_before_the_entry_are_ignored() -> None:
    j, rt, m, out = begin(QUIZ, "2026-03-02T10:00:00")
    old = event("evt-0", "line.unfollow", "2026-03-01T10:00:00")
    now = t("2026-03-02T10:00:01")
    assert not on_event(out.enrolment, j, ctx(m, now, rt, ev=old), old, now, rt).changed


RESEND = """
id: edm-resend
name: resend
trigger: {event: tag.added, where: {field: event.data.tag, eq: spring-sale}}
steps:
  - id: first-email
    send: {channel: email, template: hello}
  - wait: {days: 3}
  - branch:
      cases:
        - {when: {field: steps.first-email.opened, ne: true}, goto: resend}
      else: end
  - id: resend
    send: {channel: email, template: coupon-30}
"""


def test_resend_to_non_openers_reads_engagement_of_this_enrolment() -> None:
    trig = event("evt-1", "tag.added", "2026-03-16T10:00:00", tag="spring-sale")
    j, rt, m, out = begin(RESEND, "2026-03-16T10:00:00", trigger=trig)
    first = out.sends()[0]
    assert out.enrolment.sends == {"first-email": first.delivery_id}
    due = t("2026-03-19T10:00:00")
    opened = ctx(
        m, due, rt, steps={"first-email": {"sent": True, "delivered": True, "opened": True}}
    )
    assert not resume(out.enrolment, j, opened, due, rt).sends()
    unopened = ctx(
        m, due, rt, steps={"first-email": {"sent": True, "delivered": True, "opened": False}}
    )
    [again] = resume(out.enrolment, j, unopened, due, rt).sends()
    assert again.template == "coupon-30"


def test_engagement_goals_count_only_this_enrolments_sends() -> None:
    text = """
id: click
name: c
trigger: {event: line.follow}
exit_on: [{event: message.clicked}]
steps:
  - id: hi
    send: {template: hello}
  - wait: {days: 3}
"""
    j, rt, m, out = begin(text, "2026-03-02T10:00:00")
    now = t("2026-03-02T11:00:00")
    elsewhere = event("evt-5", "message.clicked", "2026-03-02T11:00:00", delivery_id="d-other")
    assert not on_event(out.enrolment, j, ctx(m, now, rt, ev=elsewhere), elsewhere, now, rt).changed
    mine = event(
        "evt-6", "message.clicked", "2026-03-02T11:00:00", delivery_id=out.sends()[0].delivery_id
    )
    assert on_event(out.enrolment, j, ctx(m, now, rt, ev=mine), mine, now, rt).enrolment.converted


def test_a_loop_without_time_passing_is_stopped() -> None:
    # until_field already past inside a loop would spin: the run guard ends it
    text = """
id: spin
name: s
trigger: {event: x.y}
steps:
  - id: w
    wait: {until_field: trigger.data.at}
  - goto: w
"""
    trig = event("evt-1", "x.y", "2026-03-02T10:00:00", at="2026-01-01")
    _, _, _, out = begin(text, "2026-03-02T10:00:00", trigger=trig)
    assert out.enrolment.state == "exited" and "without waiting" in (
        out.enrolment.exit_reason or ""
    )
