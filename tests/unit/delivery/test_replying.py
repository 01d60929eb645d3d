"""Replies first, push as the fallback (kairos.delivery.replying) through the sender's
handler on in-memory adapters: when a reply carries a send, when it falls back, and the
policy for a reply whose outcome is unknown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kairos.delivery.model import Rejected, ReplyUnknown, Throttled
from kairos.delivery.ports import EarlierTake
from kairos.delivery.replying import EARLIER_UNKNOWN, UNKNOWN
from kairos.models.send_request import SendRequest
from kairos.models.settings import Channels, LineChannel, Settings
from tests.unit.delivery.fakes import MemoryReplyTokens
from tests.unit.delivery.test_service import NOW, World, request, world


def replying(settings: Settings | None = None) -> tuple[World, MemoryReplyTokens]:
    tokens = MemoryReplyTokens()
    return world(settings, reply_tokens=tokens), tokens


def offered(w: World, member_id: str, token: str, order: int = 0, **fields: Any) -> SendRequest:
    by = fields.pop("by", NOW + timedelta(seconds=30))
    reply = {"token": token, "by": by, "order": order}
    return request(member_id, reply=reply, **fields)


def test_a_send_offered_a_fresh_token_is_a_free_reply() -> None:
    # Given a member who just followed, and the welcome their follow made due
    w, _ = replying(Settings(channels=Channels(line=LineChannel(monthly_limit=100))))
    token = w.line.issue("U-m1")
    send = offered(w, w.member("m1", name="Amy"), token)
    # When the sender takes it
    assert w.failed(w.send(send)) == []
    # Then it went as a reply, not a push, is not billed and used none of the month
    assert [(c.endpoint, c.to) for c in w.line.calls] == [("reply", ["U-m1"])]
    record = w.deliveries.records[send.delivery_id]
    assert (record.status, record.via, record.billed, record.reply_fallback) == (
        "sent", "reply", False, None,
    )  # fmt: skip
    assert record.provider_message_id == "msg-1-0"
    assert w.limits.totals[("line", "2026-03")] == 0
    assert w.counters() == {"sent": 1, "sent_line": 1}


def test_the_sends_of_one_event_share_one_reply_in_their_order() -> None:
    w, _ = replying()
    token = w.line.issue("U-m1")
    member = w.member("m1", name="Amy")
    second = offered(w, member, token, order=1, template="news", step="news")
    first = offered(w, member, token, order=0)
    w.send(second, first)
    [call] = w.line.calls
    assert call.endpoint == "reply" and call.text == "Amy，早安！ | 本週新品上架！"
    assert {w.deliveries.records[s.delivery_id].via for s in (first, second)} == {"reply"}


def test_an_expired_token_is_not_tried_and_the_send_is_pushed() -> None:
    w, tokens = replying()
    token = w.line.issue("U-m1")
    send = offered(w, w.member("m1", name="Amy"), token, by=NOW - timedelta(seconds=1))
    w.send(send)
    assert [c.endpoint for c in w.line.calls] == ["push"]
    record = w.deliveries.records[send.delivery_id]
    assert (record.via, record.billed, record.reply_fallback) == (
        "push", True, "reply token expired",
    )  # fmt: skip
    assert tokens.taken == {}


def test_a_token_line_refuses_falls_back_to_one_push_and_is_marked_unsent() -> None:
    # Given a token LINE no longer takes (used by the brand's own bot, or expired early)
    w, tokens = replying()
    send = offered(w, w.member("m1", name="Amy"), "rt-not-issued")
    w.send(send)
    assert [c.endpoint for c in w.line.calls] == ["push"]
    assert w.deliveries.records[send.delivery_id].reply_fallback == "reply token unusable"
    assert tokens.taken["rt-not-issued"].state == "unsent"
    # And the message handed over again is not sent again
    w.send(send, receives=2)
    assert len(w.line.calls) == 1


def test_a_reply_without_an_answer_is_recorded_sent_and_never_pushed() -> None:
    # Given LINE takes the reply but its answer never comes (a read timeout)
    w, _ = replying()
    token = w.line.issue("U-m1")
    w.line.reply_failures.append(ReplyUnknown("LINE did not answer the reply (ReadTimeoutError)"))
    w.line.sent_anyway = True
    send = offered(w, w.member("m1", name="Amy"), token)
    assert w.failed(w.send(send)) == []
    w.send(send, receives=2)
    # Then the member has it once, and the record says how sure we are
    assert [c.endpoint for c in w.line.calls] == ["reply"]
    record = w.deliveries.records[send.delivery_id]
    assert (record.status, record.via, record.reason) == ("sent", "reply", UNKNOWN)


def test_an_attempt_that_died_during_the_reply_is_not_followed_by_a_push() -> None:
    # Given an earlier attempt took the token for this send and died before recording
    w, tokens = replying()
    send = offered(w, w.member("m1", name="Amy"), "rt-used")
    tokens.taken["rt-used"] = EarlierTake(frozenset({send.delivery_id}), "taken")
    # When the message comes back (LINE would now say "Invalid reply token")
    w.send(send, receives=2)
    # Then nothing is sent: it is recorded sent by that reply, unconfirmed
    assert w.line.calls == []
    record = w.deliveries.records[send.delivery_id]
    assert (record.status, record.via, record.reason) == ("sent", "reply", EARLIER_UNKNOWN)


def test_a_token_another_send_took_is_not_tried_again() -> None:
    w, tokens = replying()
    send = offered(w, w.member("m1", name="Amy"), "rt-shared")
    tokens.taken["rt-shared"] = EarlierTake(frozenset({"d-someone-else"}), "taken")
    w.send(send)
    assert [c.endpoint for c in w.line.calls] == ["push"]
    assert w.deliveries.records[send.delivery_id].reply_fallback == (
        "reply token used by another send"
    )


def test_a_throttled_reply_is_pushed_at_once() -> None:
    w, tokens = replying()
    token = w.line.issue("U-m1")
    w.line.reply_failures.append(Throttled("LINE 429", delay=1.0))
    send = offered(w, w.member("m1", name="Amy"), token)
    assert w.failed(w.send(send)) == []
    assert [c.endpoint for c in w.line.calls] == ["push"]
    assert w.deliveries.records[send.delivery_id].reply_fallback == "reply not sent (LINE 429)"
    assert tokens.taken[token].state == "unsent"


def test_a_reply_line_refuses_for_a_message_sends_each_alone() -> None:
    # Given two sends sharing a reply, LINE refusing the reply for one's message
    w, _ = replying()
    token = w.line.issue("U-m1")
    w.line.reply_failures.append(Rejected("LINE 400: messages[1].text: too long"))
    member = w.member("m1", name="Amy")
    sends = [offered(w, member, token, 0), offered(w, member, token, 1, step="news")]
    w.send(*sends)
    # Then each went by its own push (a bad message would fail alone)
    assert [c.endpoint for c in w.line.calls] == ["push", "push"]
    assert all(
        w.deliveries.records[s.delivery_id].reply_fallback
        == "reply refused (LINE 400: messages[1].text: too long)"
        for s in sends
    )


def test_messages_past_five_fall_back_to_a_push() -> None:
    w, _ = replying()
    token = w.line.issue("U-m1")
    member = w.member("m1", name="Amy")
    sends = [offered(w, member, token, i, step=f"s{i}") for i in range(6)]
    w.send(*sends)
    assert [c.endpoint for c in w.line.calls] == ["reply", "push"]
    assert w.deliveries.records[sends[5].delivery_id].reply_fallback == (
        "more than 5 messages in one reply"
    )


def test_a_reply_goes_even_when_the_months_messages_are_used_up() -> None:
    # Given the month's LINE allowance is used up
    w, _ = replying(Settings(channels=Channels(line=LineChannel(monthly_limit=0))))
    token = w.line.issue("U-m1")
    replied = offered(w, w.member("m1", name="Amy"), token)
    pushed = request(w.member("m2", name="Bo"))
    w.send(replied, pushed)
    # Then the free reply still reaches its member; the push waits for the allowance
    assert [c.endpoint for c in w.line.calls] == ["reply"]
    assert w.deliveries.records[replied.delivery_id].status == "sent"
    assert w.deliveries.records[pushed.delivery_id].status == "quota_exceeded"


def test_replies_off_in_the_settings_push_everything() -> None:
    w, tokens = replying(Settings(channels=Channels(line=LineChannel(replies=False))))
    token = w.line.issue("U-m1")
    send = offered(w, w.member("m1", name="Amy"), token)
    w.send(send)
    assert [c.endpoint for c in w.line.calls] == ["push"]
    assert tokens.taken == {}
    assert w.deliveries.records[send.delivery_id].reply_fallback is None


def test_a_capped_send_offered_a_token_is_capped_not_replied() -> None:
    w, tokens = replying(Settings.model_validate({"frequency_cap": {"max": 1, "per": {"days": 1}}}))
    member = w.member("m1", name="Amy")
    w.send(request(member))
    token = w.line.issue("U-m1")
    send = offered(w, member, token)
    w.send(send)
    assert [c.endpoint for c in w.line.calls] == ["push"]
    assert w.deliveries.records[send.delivery_id].status == "capped"
    assert tokens.taken == {}


def test_identical_welcomes_offered_tokens_are_replies_not_one_billed_multicast() -> None:
    # Given two new friends whose follows arrived in one webhook body: identical welcomes
    w, _ = replying()
    sends = [offered(w, w.member(m), w.line.issue(f"U-{m}"), template="news") for m in ("m1", "m2")]
    w.send(*sends)
    # Then each is its member's free reply; a multicast would have billed both
    assert sorted((c.endpoint, c.to[0]) for c in w.line.calls) == [
        ("reply", "U-m1"), ("reply", "U-m2"),
    ]  # fmt: skip


def test_identical_sends_with_expired_tokens_still_share_a_multicast() -> None:
    w, _ = replying()
    late = NOW - timedelta(seconds=1)
    sends = [
        offered(w, w.member(m), w.line.issue(f"U-{m}"), template="news", by=late)
        for m in ("m1", "m2")
    ]
    w.send(*sends)
    assert [(c.endpoint, sorted(c.to)) for c in w.line.calls] == [("multicast", ["U-m1", "U-m2"])]
