"""Engagement through the simulator (SPEC §1, §2): opens, clicks and bounces name their
send by `data.delivery_id` or by `data.journey` + `data.step`, and a branch on
`steps.<id>.opened` / `.delivered` resends only to members who did not open."""

from __future__ import annotations

from pathlib import Path

from kairos.engine.enrolment import enrolment_id
from kairos.ingest.identity import new_member_id
from kairos.models.send_request import delivery_id_for
from kairos_dev.local.stack import DevSecrets
from tests.e2e.journey_builder import BrandProject, event


def test_resend_to_non_openers(tmp_path: Path) -> None:
    # Given the spring-sale newsletter, resent after three days to who did not open it
    # (but not to a bounced address)
    project = BrandProject(tmp_path)
    project.template("spring-sale", email="春季特賣")
    project.template("spring-sale-resend", email="最後機會：春季特賣")
    project.journey("""
        id: edm
        trigger:
          event: tag.added
          where: {field: event.data.tag, eq: spring-sale}
        steps:
          - {id: first-email, send: {channel: email, template: spring-sale}}
          - {id: three-days, wait: {days: 3}}
          - id: check
            branch:
              cases:
                - {when: {field: steps.first-email.delivered, ne: true}, goto: end}
                - {when: {field: steps.first-email.opened, ne: true}, goto: resend}
              else: end
          - {id: resend, send: {channel: email, template: spring-sale-resend}}
    """)
    people = ["by-id", "by-step", "silent", "other-send", "clicker", "bounced"]
    email = {who: {"email": f"{who}@example.com"} for who in people}
    # The sender names every message; an SES event carries that id back.
    first_email = delivery_id_for(
        enrolment_id(
            "edm",
            new_member_id(email["by-id"], DevSecrets.from_env().member_id_key.encode()),
            "tag-by-id",
        ),
        "first-email",
        1,
    )

    # When
    day1, day2 = "2026-03-02T10:00", "2026-03-03T20:00"
    out = project.simulate(
        [
            *[event("tag.added", day1, email[w], {"tag": "spring-sale"}, id=f"tag-{w}")
              for w in people],
            event("email.opened", day2, email["by-id"], {"delivery_id": first_email}),
            event("email.opened", day2, email["by-step"],
                  {"journey": "edm", "step": "first-email"}),
            event("email.opened", day2, email["other-send"], {"delivery_id": "d-someone-else"}),
            event("email.clicked", day2, email["clicker"],
                  {"journey": "edm", "step": "first-email"}),
            event("email.bounced", day2, email["bounced"],
                  {"journey": "edm", "step": "first-email"}),
        ],
        until="2026-03-10",
    )  # fmt: skip

    # Then: everyone got the first email; the resend went only to the member who did
    # nothing, the one whose open belonged to another send, and the one who clicked
    # without an open being reported
    assert [(r[0], r[1], r[3], r[5], r[6]) for r in out.rows()] == [
        ("2026-03-02T10:00", "bounced@example.com", "first-email", "email", "sent"),
        ("2026-03-02T10:00", "by-id@example.com", "first-email", "email", "sent"),
        ("2026-03-02T10:00", "by-step@example.com", "first-email", "email", "sent"),
        ("2026-03-02T10:00", "clicker@example.com", "first-email", "email", "sent"),
        ("2026-03-02T10:00", "other-send@example.com", "first-email", "email", "sent"),
        ("2026-03-02T10:00", "silent@example.com", "first-email", "email", "sent"),
        ("2026-03-05T10:00", "clicker@example.com", "resend", "email", "sent"),
        ("2026-03-05T10:00", "other-send@example.com", "resend", "email", "sent"),
        ("2026-03-05T10:00", "silent@example.com", "resend", "email", "sent"),
    ]
    assert {d.text for d in out.deliveries if d.step == "resend"} == {"最後機會：春季特賣"}


def test_wait_for_a_click_on_this_send(tmp_path: Path) -> None:
    # Given a LINE message with a tracked link, and a follow-up that waits two days for a
    # click on *this* message
    project = BrandProject(tmp_path)
    project.template("offer", line="看看新品 {{ track('https://shop.example/new') }}")
    project.template("thanks", line="謝謝你的點閱")
    project.template("reminder", line="還沒看過新品嗎？")
    project.journey("""
        id: offer
        trigger: {event: t.offer}
        steps:
          - {id: offer, send: {channel: line, template: offer}}
          - id: click
            wait_for: {event: message.clicked, timeout: {days: 2}}
            on_event: thanks
            on_timeout: reminder
          - {id: thanks, send: {channel: line, template: thanks}, next: end}
          - {id: reminder, send: {channel: line, template: reminder}}
    """)

    # When: one clicks this journey's link, one clicks a link of another journey
    out = project.simulate(
        [
            event("t.offer", "2026-03-02T10:00", "U-clicks"),
            event("t.offer", "2026-03-02T10:00", "U-elsewhere"),
            event("message.clicked", "2026-03-03T10:00", "U-clicks",
                  {"journey": "offer", "step": "offer"}),
            event("message.clicked", "2026-03-03T10:00", "U-elsewhere",
                  {"journey": "newsletter", "step": "news"}),
        ],
        until="2026-03-10",
    )  # fmt: skip

    # Then
    assert out.short() == [
        ("2026-03-02T10:00", "U-clicks", "offer", "sent"),
        ("2026-03-02T10:00", "U-elsewhere", "offer", "sent"),
        ("2026-03-03T10:00", "U-clicks", "thanks", "sent"),
        ("2026-03-04T10:00", "U-elsewhere", "reminder", "sent"),
    ]
    assert "https://kairos.local/t/" in (out.deliveries[0].text or "")  # a tracked link


def test_ses_bounces_and_complaints_come_back_through_the_webhook(tmp_path: Path) -> None:
    # Given a two-email journey with a branch on whether the first email was delivered,
    # and members whose addresses are the SES mailbox simulator's: nothing in the events
    # says what happened to the email; the emulator's SES reports it, as SES would.
    project = BrandProject(tmp_path)
    project.template("news", email="三月新品")
    project.template("news-again", email="三月新品（再一次）")
    project.template("sorry", email="我們寄不到給你")
    project.journey("""
        id: news
        trigger:
          event: tag.added
          where: {field: event.data.tag, eq: news}
        steps:
          - {id: first, send: {channel: email, template: news}}
          - {id: day, wait: {days: 1}}
          - id: check
            branch:
              cases:
                - {when: {field: steps.first.delivered, ne: true}, goto: undelivered}
              else: again
          - {id: again, send: {channel: email, template: news-again}, next: end}
          - {id: undelivered, send: {channel: email, template: sorry}}
    """)
    who = {
        "amy": "amy@example.com",
        "bounce": "bounce@simulator.amazonses.com",
        "complaint": "complaint@simulator.amazonses.com",
    }

    # When each is tagged
    out = project.simulate(
        [event("tag.added", "2026-03-02T10:00", {"email": email}, {"tag": "news"}, id=f"t-{name}")
         for name, email in who.items()],
        until="2026-03-05",
    )  # fmt: skip

    # Then the bounce marked the first email undelivered and the address unusable (the
    # follow-up is not sent), the complaint left it delivered but stopped email, and
    # the delivered member got the second email
    assert out.rows() == [
        ("2026-03-02T10:00", "amy@example.com", "news", "first", "news", "email", "sent"),
        (
            "2026-03-02T10:00",
            "bounce@simulator.amazonses.com",
            "news",
            "first",
            "news",
            "email",
            "sent",
        ),
        (
            "2026-03-02T10:00",
            "complaint@simulator.amazonses.com",
            "news",
            "first",
            "news",
            "email",
            "sent",
        ),
        ("2026-03-03T10:00", "amy@example.com", "news", "again", "news-again", "email", "sent"),
        (
            "2026-03-03T10:00",
            "bounce@simulator.amazonses.com",
            "news",
            "undelivered",
            "sorry",
            None,
            "unreachable",
        ),
        (
            "2026-03-03T10:00",
            "complaint@simulator.amazonses.com",
            "news",
            "again",
            "news-again",
            None,
            "unreachable",
        ),
    ]
