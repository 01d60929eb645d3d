"""Which sends the evaluator offers the member's reply token (kairos.evaluator.commit):
sends made due at once by the member's own LINE event, while the token is young."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kairos.evaluator.commit import REPLY_SECONDS, reply_chance
from kairos.models.send_request import SendRequest

NOW = datetime(2026, 3, 2, 12, 0, 5, tzinfo=UTC)


def follow(**fields: Any) -> dict[str, Any]:
    return {"id": "line:01H", "type": "line.follow", "time": "2026-03-02T20:00:00+08:00",
            "member": {"line_user_id": "U1"}, "data": {}, "reply_token": "rt-1", **fields}  # fmt: skip


def send(**fields: Any) -> SendRequest:
    return SendRequest.model_validate(
        {"delivery_id": f"d-{fields.pop('n', 1)}", "member_id": "m1", "enrolment_id": "e1",
         "journey": "welcome", "journey_version": "1", "step": "hello", "template": "hello",
         "template_version": "1", "channel": "line", "requested_at": NOW, **fields}
    )  # fmt: skip


def test_the_sends_an_event_makes_due_now_are_offered_its_token_in_order() -> None:
    chance = reply_chance(follow(), NOW)
    assert chance is not None
    first, second = chance.offer(send(n=1), NOW), chance.offer(send(n=2, channel="auto"), NOW)
    assert first.reply is not None and second.reply is not None
    assert (first.reply.token, first.reply.order, second.reply.order) == ("rt-1", 0, 1)
    assert first.reply.by == datetime(2026, 3, 2, 12, 0, tzinfo=UTC) + timedelta(
        seconds=REPLY_SECONDS
    )


def test_a_later_send_an_email_or_sms_send_and_a_tokenless_event_are_not_offered() -> None:
    chance = reply_chance(follow(), NOW)
    assert chance is not None
    later = send(not_before=NOW + timedelta(hours=1))
    assert chance.offer(later, NOW).reply is None
    assert chance.offer(send(channel="email"), NOW).reply is None
    assert chance.offer(send(channel="sms"), NOW).reply is None
    assert reply_chance(follow(reply_token=None), NOW) is None
    assert reply_chance({k: v for k, v in follow().items() if k != "reply_token"}, NOW) is None


def test_a_late_or_redelivered_event_offers_nothing() -> None:
    late = NOW + timedelta(seconds=REPLY_SECONDS)
    assert reply_chance(follow(), late) is None
    assert reply_chance(follow(time="not a time"), NOW) is None


def test_an_event_from_the_future_counts_from_now() -> None:
    # A clock ahead of ours must not stretch the token's life
    chance = reply_chance(follow(time="2026-03-02T12:10:00+00:00"), NOW)
    assert chance is not None and chance.by == NOW + timedelta(seconds=REPLY_SECONDS)
