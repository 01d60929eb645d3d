"""Triggers through the simulator (SPEC §4): event + `where`, `audience`, segment entry
(by an event and by time alone), yearly dates, cron schedules. Events in, deliveries out."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.journey_builder import BrandProject, event, order, profile


def test_event_trigger_where_and_audience(tmp_path: Path) -> None:
    # Given a journey for mattress buyers outside the offshore islands, one that reads the
    # member's stats after the order was applied, and one on a custom event type
    project = BrandProject(tmp_path)
    project.template("care", line="床墊保養小提醒")
    project.template("big", line="累積 {{ stats.total_spent | int }} 元")
    project.template("recall", line="{{ event.data.treatment }} 回診")
    project.journey("""
        id: mattress
        trigger:
          event: order.created
          where: {field: "event.data.items[].category", eq: mattress}
        audience:
          not: {field: profile.region, in: [金門, 馬祖]}
        steps:
          - {id: care, send: {channel: line, template: care}}
    """)
    project.journey("""
        id: big-spender
        trigger:
          event: order.created
          where: {field: stats.total_spent, gte: 1000}
        entry: {reentry: never}
        steps:
          - {id: big, send: {channel: line, template: big}}
    """)
    project.journey("""
        id: dental
        trigger:
          event: appointment.completed
          where: {field: event.data.treatment, eq: cleaning}
        steps:
          - {id: recall, send: {channel: line, template: recall}}
    """)

    # When
    out = project.simulate(
        [
            order("U-taipei", "2026-03-02T10:00", total=800, category="mattress"),
            order("U-coffee", "2026-03-02T10:05", total=60, category="coffee"),
            profile("U-island", "2026-03-02T09:00", region="金門"),
            order("U-island", "2026-03-02T10:10", total=800, category="mattress"),
            # 600 then 500: the second order's own amount already counts (1100 ≥ 1000).
            order("U-coffee", "2026-03-03T10:00", total=600, category="coffee"),
            order("U-coffee", "2026-03-04T10:00", total=500, category="coffee"),
            event(
                "appointment.completed", "2026-03-05T15:00", "U-teeth", {"treatment": "cleaning"}
            ),
            event("appointment.completed", "2026-03-05T16:00", "U-fill", {"treatment": "filling"}),
            # The same event id again (a retried webhook) has the effect of once.
            event(
                "appointment.completed",
                "2026-03-05T17:00",
                "U-teeth",
                {"treatment": "cleaning"},
                id="appt-1",
            ),
            event(
                "appointment.completed",
                "2026-03-05T17:00",
                "U-teeth",
                {"treatment": "cleaning"},
                id="appt-1",
            ),
        ],
        until="2026-03-10",
    )

    # Then: the mainland mattress buyer, the member whose total crossed 1000 (with the
    # crossing order's amount), and the cleaning patient — nobody else
    assert out.rows(text=True) == [
        ("2026-03-02T10:00", "U-taipei", "mattress", "care", "care", "line", "sent", "床墊保養小提醒"),
        ("2026-03-04T10:00", "U-coffee", "big-spender", "big", "big", "line", "sent",
         "累積 1160 元"),
        ("2026-03-05T15:00", "U-teeth", "dental", "recall", "recall", "line", "sent",
         "cleaning 回診"),
        ("2026-03-05T17:00", "U-teeth", "dental", "recall", "recall", "line", "sent",
         "cleaning 回診"),
    ]  # fmt: skip


def test_segment_trigger_on_an_event_and_with_time_alone(tmp_path: Path) -> None:
    # Given a VIP segment (total spent ≥ 10000), a dormant segment (> 90 days since the
    # last order) and a journey on entering each
    project = BrandProject(tmp_path)
    project.segment("vip", {"field": "stats.total_spent", "gte": 10000})
    project.segment("dormant", {"field": "stats.days_since_last_order", "gt": 90})
    project.template(
        "vip", line="VIP！訂單 {{ trigger.data.order_id }} 累積 {{ stats.total_spent | int }}"
    )
    project.template("miss-you", line="好久不見（{{ trigger.type }}）")
    project.journey("""
        id: vip-congrats
        trigger: {segment: vip}
        steps:
          - {id: congrats, send: {channel: line, template: vip}}
    """)
    project.journey("""
        id: winback
        trigger: {segment: dormant}
        steps:
          - {id: miss-you, send: {channel: line, template: miss-you}}
    """)

    # When
    out = project.simulate(
        [
            order("U-vip", "2026-01-10T10:00", total=6000, id="o-1"),
            order(
                "U-big", "2026-01-10T11:00", total=12000, id="o-2", order_id="A-200"
            ),  # inside at once
            order("U-vip", "2026-03-01T10:00", total=5000, id="o-3", order_id="A-300"),
            order("U-vip", "2026-03-02T10:00", total=2000, id="o-4"),  # already inside
            order("U-small", "2026-03-01T12:00", total=3000, id="o-5"),
            # Back after dormancy, then dormant again: a second win-back.
            order("U-small", "2026-06-05T12:00", total=300, id="o-6"),
        ],
        until="2026-09-10",
    )

    # Then: VIP on the crossing order (which the template reads), once; dormancy on the
    # 91st day after the last order, at local midnight, with no event
    assert out.rows(text=True) == [
        ("2026-01-10T11:00", "U-big", "vip-congrats", "congrats", "vip", "line", "sent",
         "VIP！訂單 A-200 累積 12000"),
        ("2026-03-01T10:00", "U-vip", "vip-congrats", "congrats", "vip", "line", "sent",
         "VIP！訂單 A-300 累積 11000"),
        ("2026-04-11T00:00", "U-big", "winback", "miss-you", "miss-you", "line", "sent",
         "好久不見（segment.entered）"),
        ("2026-05-31T00:00", "U-small", "winback", "miss-you", "miss-you", "line", "sent",
         "好久不見（segment.entered）"),
        ("2026-06-01T00:00", "U-vip", "winback", "miss-you", "miss-you", "line", "sent",
         "好久不見（segment.entered）"),
        ("2026-09-04T00:00", "U-small", "winback", "miss-you", "miss-you", "line", "sent",
         "好久不見（segment.entered）"),
    ]  # fmt: skip


def test_date_trigger_day_month_offset_and_29_february(tmp_path: Path) -> None:
    # Given three birthday journeys: on the day at 09:00 (default), three days before at
    # 09:00, and on the 1st of the month at 10:00
    project = BrandProject(tmp_path)
    project.template("bday", line="生日快樂 {{ trigger.data.value }}")
    for journey_id, date in (
        ("bday", "{field: profile.birthday, match: day}"),
        ("bday-early", '{field: profile.birthday, match: day, at: "09:00", offset: {days: -3}}'),
        ("bday-month", '{field: profile.birthday, match: month, at: "10:00"}'),
    ):
        project.journey(f"""
            id: {journey_id}
            trigger:
              date: {date}
            steps:
              - {{id: wish, send: {{channel: line, template: bday}}}}
        """)

    # When: one member born on 20 April, one on 29 February (2026 is not a leap year),
    # one who corrects a wrong March birthday to 5 May before March comes
    out = project.simulate(
        [
            profile("U-leap", "2026-01-05T13:00", birthday="1992-02-29"),
            profile("U-april", "2026-01-06T13:00", birthday="1990-04-20"),
            profile("U-fixed", "2026-01-07T13:00", birthday="1985-03-10"),
            profile("U-fixed", "2026-01-08T13:00", birthday="1985-05-05"),
        ],
        until="2027-03-01",
    )

    # Then
    assert [(r[0], r[1], r[2]) for r in out.rows()] == [
        ("2026-02-01T10:00", "U-leap", "bday-month"),
        ("2026-02-25T09:00", "U-leap", "bday-early"),
        ("2026-02-28T09:00", "U-leap", "bday"),
        ("2026-04-01T10:00", "U-april", "bday-month"),
        ("2026-04-17T09:00", "U-april", "bday-early"),
        ("2026-04-20T09:00", "U-april", "bday"),
        ("2026-05-01T10:00", "U-fixed", "bday-month"),
        ("2026-05-02T09:00", "U-fixed", "bday-early"),
        ("2026-05-05T09:00", "U-fixed", "bday"),
        # yearly
        ("2027-02-01T10:00", "U-leap", "bday-month"),
        ("2027-02-25T09:00", "U-leap", "bday-early"),
        ("2027-02-28T09:00", "U-leap", "bday"),
    ]
    assert {d.status for d in out.deliveries} == {"sent"}
    assert out.deliveries[0].text == "生日快樂 1992-02-29"


def test_schedule_trigger_enrols_the_segment_at_each_firing(tmp_path: Path) -> None:
    # Given a Saturday 08:00 coffee coupon for members with two coffee orders or more
    project = BrandProject(tmp_path)
    project.segment("coffee-fans", {"field": "stats.category_counts.coffee", "gte": 2})
    project.template("coffee", line="週末咖啡券")
    project.journey("""
        id: weekend-coffee
        trigger:
          schedule: {cron: "0 8 * * SAT", segment: coffee-fans}
        steps:
          - {id: coupon, send: {channel: line, template: coffee}}
    """)

    # When: a regular from the start, a second member who becomes one midweek, and a
    # member with one coffee only (2026-03-07 and 03-14 are Saturdays)
    out = project.simulate(
        [
            order("U-regular", "2026-03-02T08:30", total=60, category="coffee"),
            order("U-regular", "2026-03-03T08:30", total=60, category="coffee"),
            order("U-once", "2026-03-03T09:00", total=60, category="coffee"),
            order("U-later", "2026-03-09T08:30", total=60, category="coffee"),
            order("U-later", "2026-03-10T08:30", total=60, category="coffee"),
        ],
        until="2026-03-15",
    )

    # Then
    assert out.short() == [
        ("2026-03-07T08:00", "U-regular", "coupon", "sent"),
        ("2026-03-14T08:00", "U-later", "coupon", "sent"),
        ("2026-03-14T08:00", "U-regular", "coupon", "sent"),
    ]
