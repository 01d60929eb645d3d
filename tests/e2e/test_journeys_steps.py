"""Steps through the simulator (SPEC §4): every kind of wait, `wait_for` with its two
outcomes, goto/next/exit, loops through a wait, tag/untag/set seen by later steps and
starting other journeys (with the trigger-loop guard), and `enter`."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event, order


def _send_after(journey_id: str, trigger: str, wait: str) -> str:
    return f"""
        id: {journey_id}
        trigger: {{event: {trigger}}}
        entry: {{reentry: always}}
        steps:
          - {{id: wait, wait: {wait}}}
          - {{id: send, send: {{channel: line, template: ping}}}}
    """


def test_waits_durations_calendar_months_wall_clock_and_until_field(tmp_path: Path) -> None:
    # Given one journey per kind of wait, each sending once the wait is over
    project = BrandProject(tmp_path)
    project.template("ping", line="ping")
    project.journey(_send_after("days", "t.days", "{days: 2}"))
    project.journey(_send_after("hours", "t.hours", "{hours: 36}"))
    project.journey("""
        id: months
        trigger: {event: t.months}
        steps:
          - {id: month-1, wait: {months: 1}}
          - {id: first, send: {channel: line, template: ping}}
          - {id: month-2, wait: {months: 1}}
          - {id: second, send: {channel: line, template: ping}}
    """)
    project.journey(_send_after("nine", "t.nine", '{until: "09:00"}'))
    project.journey(_send_after("saturday", "t.saturday", '{until: "sat 08:00"}'))
    project.journey("""
        id: expiry
        trigger: {event: coupon.issued}
        entry: {reentry: always}
        steps:
          - id: week-before
            wait: {until_field: trigger.data.expires_at, offset: {days: -7}}
          - {id: send, send: {channel: line, template: ping}}
    """)
    project.journey(
        _send_after(
            "checkin", "booking.created", "{until_field: trigger.data.check_in, offset: {days: -1}}"
        )
    )

    # When (2026-03-02 is a Monday, 2026-03-07 a Saturday)
    out = project.simulate(
        [
            event("t.days", "2026-03-02T10:30", "U-days"),
            event("t.hours", "2026-03-02T10:30", "U-hours"),
            event("t.months", "2026-01-31T10:00", "U-months"),
            event("t.nine", "2026-03-02T08:00", "U-early"),
            event("t.nine", "2026-03-02T09:00", "U-sharp"),  # strictly after: tomorrow
            event("t.saturday", "2026-03-02T12:00", "U-monday"),
            event("t.saturday", "2026-03-07T08:00", "U-saturday"),  # next week's
            event("coupon.issued", "2026-03-01T12:00", "U-coupon",
                  {"coupon_id": "C1", "expires_at": "2026-03-20T23:59:00+08:00"}),
            event("coupon.issued", "2026-03-01T12:00", "U-soon",  # a week before is past
                  {"coupon_id": "C2", "expires_at": "2026-03-04T12:00:00+08:00"}),
            event("booking.created", "2026-03-01T12:00", "U-dateonly",  # local midnight
                  {"check_in": "2026-03-25"}),
            event("coupon.issued", "2026-03-01T12:00", "U-noexpiry", {"coupon_id": "C4"}),
        ],
        until="2026-04-01",
    )  # fmt: skip

    # Then
    assert [(r[0], r[1], r[2], r[3]) for r in out.rows()] == [
        ("2026-02-28T10:00", "U-months", "months", "first"),  # Jan 31 + 1 month
        ("2026-03-01T12:00", "U-soon", "expiry", "send"),
        ("2026-03-02T09:00", "U-early", "nine", "send"),
        ("2026-03-03T09:00", "U-sharp", "nine", "send"),
        ("2026-03-03T22:30", "U-hours", "hours", "send"),
        ("2026-03-04T10:30", "U-days", "days", "send"),
        ("2026-03-07T08:00", "U-monday", "saturday", "send"),
        ("2026-03-13T23:59", "U-coupon", "expiry", "send"),
        ("2026-03-14T08:00", "U-saturday", "saturday", "send"),
        ("2026-03-24T00:00", "U-dateonly", "checkin", "send"),
        ("2026-03-28T10:00", "U-months", "months", "second"),  # Feb 28 + 1 month
    ]
    assert {d.status for d in out.deliveries} == {"sent"}


def test_wait_for_on_event_and_on_timeout(tmp_path: Path) -> None:
    # Given a quiz: wait up to two days for a quiz answer (a postback starting "quiz=")
    project = BrandProject(tmp_path)
    project.template("quiz", line="你喜歡哪種咖啡？")
    project.template("thanks", line="謝謝作答：{{ event.data.data }}")
    project.template("nudge", line="還沒作答喔")
    project.journey("""
        id: quiz
        trigger: {event: line.follow}
        steps:
          - {id: ask, send: {channel: line, template: quiz}}
          - id: answer
            wait_for:
              event: line.postback
              where: {field: event.data.data, starts_with: "quiz="}
              timeout: {days: 2}
            on_event: thanks
            on_timeout: nudge
          - {id: thanks, send: {channel: line, template: thanks}, next: end}
          - {id: nudge, send: {channel: line, template: nudge}}
    """)

    # ...and a chat journey that waits for a second message: its own trigger does not count
    project.template("reply", line="reply")
    project.template("bye", line="bye")
    project.journey("""
        id: chat
        trigger: {event: line.message}
        steps:
          - id: more
            wait_for: {event: line.message, timeout: {hours: 1}}
            on_event: reply
            on_timeout: bye
          - {id: reply, send: {channel: line, template: reply}, next: end}
          - {id: bye, send: {channel: line, template: bye}}
    """)

    # When: one answers the next day, one never does, one sends another postback; one
    # chats once, one twice
    out = project.simulate(
        [
            event("line.follow", "2026-03-02T10:00", "U-answers"),
            event("line.follow", "2026-03-02T10:00", "U-silent"),
            event("line.follow", "2026-03-02T10:00", "U-other"),
            event("line.postback", "2026-03-03T12:00", "U-answers", {"data": "quiz=latte"}),
            event("line.postback", "2026-03-03T12:00", "U-other", {"data": "menu=open"}),
            event("line.message", "2026-03-05T10:00", "U-once", {"text": "hi"}),
            event("line.message", "2026-03-05T10:00", "U-twice", {"text": "hi"}),
            event("line.message", "2026-03-05T10:20", "U-twice", {"text": "anyone?"}),
        ],
        until="2026-03-10",
    )

    # Then (the trigger stays `event` for later steps: the thanks reads the follow)
    assert out.short() == [
        ("2026-03-02T10:00", "U-answers", "ask", "sent"),
        ("2026-03-02T10:00", "U-other", "ask", "sent"),
        ("2026-03-02T10:00", "U-silent", "ask", "sent"),
        ("2026-03-03T12:00", "U-answers", "thanks", "sent"),
        ("2026-03-04T10:00", "U-other", "nudge", "sent"),
        ("2026-03-04T10:00", "U-silent", "nudge", "sent"),
        ("2026-03-05T10:20", "U-twice", "reply", "sent"),
        ("2026-03-05T11:00", "U-once", "bye", "sent"),
    ]


def test_goto_next_exit_and_a_loop_through_a_wait(tmp_path: Path) -> None:
    # Given a journey that jumps over a step, ends early for some members with `exit`,
    # and a mattress-care loop: a reminder every six months
    project = BrandProject(tmp_path)
    for name in ("hello", "skipped", "member", "vip", "care"):
        project.template(name, line=name)
    project.journey("""
        id: paths
        trigger: {event: line.follow}
        steps:
          - {id: hello, send: {channel: line, template: hello}, next: route}
          - {id: skipped, send: {channel: line, template: skipped}, next: end}
          - id: route
            branch:
              cases:
                - {when: {field: profile.region, eq: offshore}, goto: leave}
                - {when: {field: tags, contains: vip}, goto: jump}
          - {id: member, send: {channel: line, template: member}, next: end}
          - {id: jump, goto: vip}
          - {id: leave, exit: true}
          - {id: vip, send: {channel: line, template: vip}, next: skipped}
    """)
    project.journey("""
        id: mattress-care
        trigger:
          event: order.created
          where: {field: "event.data.items[].category", eq: mattress}
        steps:
          - {id: six-months, wait: {months: 6}}
          - {id: care, send: {channel: line, template: care}, next: six-months}
    """)

    # When
    out = project.simulate(
        [
            event("line.follow", "2026-01-15T10:00", "U-plain"),
            event("profile.updated", "2026-01-15T09:00", "U-island", {"region": "offshore"}),
            event("line.follow", "2026-01-15T10:00", "U-island"),
            event("tag.added", "2026-01-15T09:00", "U-vip", {"tag": "vip"}),
            event("line.follow", "2026-01-15T10:00", "U-vip"),
            order("U-sleeper", "2026-01-15T10:00", total=30000, category="mattress"),
        ],
        until="2027-02-15",  # thirteen months
    )

    # Then
    assert out.of("U-plain") == [
        ("2026-01-15T10:00", "U-plain", "paths", "hello", "hello", "line", "sent"),
        ("2026-01-15T10:00", "U-plain", "paths", "member", "member", "line", "sent"),
    ]
    assert out.steps_of("U-island") == ["hello"]  # exit: nothing after
    assert out.steps_of("U-vip") == ["hello", "vip", "skipped"]  # goto, then next: skipped
    assert [(r[0], r[3]) for r in out.of("U-sleeper")] == [
        ("2026-07-15T10:00", "care"),
        ("2027-01-15T10:00", "care"),
    ]


def test_tag_untag_set_are_seen_by_later_steps_and_start_other_journeys(tmp_path: Path) -> None:
    # Given a quiz answer that tags and sets the profile, a branch reading both, a journey
    # that starts on the tag, and two journeys that would tag each other forever
    project = BrandProject(tmp_path)
    project.template("pick", line="{{ profile.favourite }} 愛好者 {{ tags | sort | join(',') }}")
    project.template("plain", line="plain")
    project.template("welcome", line="歡迎咖啡同好")
    project.template("ping", line="ping")
    project.template("pong", line="pong")
    project.template("self", line="self")
    project.journey("""
        id: quiz-tags
        trigger:
          event: line.postback
          where: {field: event.data.data, eq: quiz=coffee}
        steps:
          - {id: tag, tag: [likes-coffee]}
          - {id: untag, untag: [likes-tea]}
          - {id: set, set: {favourite: coffee}}
          - id: check
            branch:
              cases:
                - when:
                    all:
                      - {field: tags, contains: likes-coffee}
                      - {field: tags, not_in: [likes-tea]}
                      - {field: profile.favourite, eq: coffee}
                  goto: pick
              else: plain
          - {id: pick, send: {channel: line, template: pick}, next: end}
          - {id: plain, send: {channel: line, template: plain}}
    """)
    project.journey("""
        id: coffee-club
        trigger:
          event: tag.added
          where: {field: event.data.tag, eq: likes-coffee}
        steps:
          - {id: welcome, send: {channel: line, template: welcome}}
    """)
    project.journey("""
        id: ping
        trigger:
          event: tag.added
          where: {field: event.data.tag, eq: ping}
        steps:
          - {id: ping, send: {channel: line, template: ping}}
          - {id: untag, untag: [ping]}
          - {id: tag, tag: [pong]}
    """)
    project.journey("""
        id: pong
        trigger:
          event: tag.added
          where: {field: event.data.tag, eq: pong}
        steps:
          - {id: pong, send: {channel: line, template: pong}}
          - {id: untag, untag: [pong]}
          - {id: tag, tag: [ping]}
    """)
    project.journey("""
        id: self-tagger
        trigger:
          event: tag.added
          where: {field: event.data.tag, starts_with: s-}
        entry: {reentry: always}
        steps:
          - {id: self, send: {channel: line, template: self}}
          - {id: tag, tag: [s-again]}
    """)

    # When
    out = project.simulate(
        [
            event("tag.added", "2026-03-02T09:00", "U-quiz", {"tag": "likes-tea"}),
            event("line.postback", "2026-03-02T10:00", "U-quiz", {"data": "quiz=coffee"}),
            event("tag.added", "2026-03-03T10:00", "U-loop", {"tag": "ping"}),
            event("tag.added", "2026-03-03T11:00", "U-self", {"tag": "s-start"}),
        ],
        until="2026-03-05",
    )

    # Then: the branch saw the new tag, the removed tag and the set attribute; the tag
    # started coffee-club; ping and pong alternate until the chain guard stops them
    # after five journey-made hops; self-tagger never restarts on its own tag
    assert [(r[2], r[3]) for r in out.of("U-quiz")] == [
        ("quiz-tags", "pick"),
        ("coffee-club", "welcome"),
    ]
    pick = next(d for d in out.deliveries if d.step == "pick")
    assert pick.text == "coffee 愛好者 likes-coffee"
    assert [r[2] for r in out.of("U-loop")] == ["ping", "pong", "ping", "pong", "ping"]
    assert [(r[0], r[2]) for r in out.of("U-self")] == [("2026-03-03T11:00", "self-tagger")]


def test_enter_starts_another_journey_with_its_audience(tmp_path: Path) -> None:
    # Given an onboarding journey that enters members into a nurture journey, whose
    # audience only takes members who consented to marketing
    project = BrandProject(tmp_path)
    project.template("hi", line="hi")
    project.template("nurture", line="nurture for {{ trigger.type }}")
    project.journey("""
        id: onboarding
        trigger: {event: line.follow}
        steps:
          - {id: hi, send: {channel: line, template: hi}}
          - {id: enter, enter: nurture}
    """)
    project.journey("""
        id: nurture
        trigger: {event: never.happens}
        audience: {field: profile.marketing, eq: "yes"}
        entry: {reentry: never}
        steps:
          - {id: day-1, wait: {days: 1}}
          - {id: nurture, send: {channel: line, template: nurture}}
    """)

    # When: two follow; one consented; the consenting member follows again later
    out = project.simulate(
        [
            event("profile.updated", "2026-03-02T09:00", "U-yes", {"marketing": "yes"}),
            event("line.follow", "2026-03-02T10:00", "U-yes"),
            event("line.follow", "2026-03-02T10:00", "U-no"),
            event("line.follow", "2026-03-05T10:00", "U-yes"),
        ],
        until="2026-03-10",
    )

    # Then: nurture (once: its own entry rule) only for the consenting member, carrying
    # the follow as its trigger
    assert out.rows(text=True) == [
        ("2026-03-02T10:00", "U-no", "onboarding", "hi", "hi", "line", "sent", "hi"),
        ("2026-03-02T10:00", "U-yes", "onboarding", "hi", "hi", "line", "sent", "hi"),
        ("2026-03-03T10:00", "U-yes", "nurture", "nurture", "nurture", "line", "sent",
         "nurture for line.follow"),
        ("2026-03-05T10:00", "U-yes", "onboarding", "hi", "hi", "line", "sent", "hi"),
    ]  # fmt: skip
