from __future__ import annotations

import json

import pytest

from kairos.ingest.errors import InvalidBody
from kairos.ingest.line import parse_line_webhook
from tests.builders import follow, line_body, line_event, postback, text_message
from tests.line_payloads import ACTED_ON, NOT_ACTED_ON


def test_follow_unfollow_message_postback_become_canonical_events() -> None:
    body = line_body(
        follow("U1", "w1", unblocked=True),
        line_event("unfollow", "U1", "w2"),
        text_message("U1", "w3", "早安"),
        postback("U1", "w4", "quiz=latte-2"),
    )
    events = parse_line_webhook(body).events
    assert [(e.id, e.type, e.data) for e in events] == [
        ("line:w1", "line.follow", {"unblocked": True}),
        ("line:w2", "line.unfollow", {}),
        ("line:w3", "line.message", {"text": "早安", "message_type": "text"}),
        ("line:w4", "line.postback", {"data": "quiz=latte-2"}),
    ]
    assert all(e.member.line_user_id == "U1" for e in events)
    assert events[0].time.isoformat() == "2026-03-01T02:00:00+00:00"


@pytest.mark.parametrize(("event", "kind"), ACTED_ON, ids=lambda v: str(v)[:60])
def test_every_documented_event_kairos_acts_on_becomes_one_event(
    event: dict[str, object], kind: str
) -> None:
    batch = parse_line_webhook(line_body(event))
    assert [e.type for e in batch.events] == [kind]
    assert not batch.malformed and not batch.ignored


@pytest.mark.parametrize("event", NOT_ACTED_ON, ids=lambda v: str(v["type"]))
def test_every_other_documented_event_is_counted_not_dropped(event: dict[str, object]) -> None:
    batch = parse_line_webhook(line_body(event))
    assert batch.events == [] and not batch.malformed
    assert sum(batch.ignored.values()) == 1


def test_a_text_message_without_quote_token_and_a_follow_without_follow_are_kept() -> None:
    message = line_event("message", "U1", "w7", message={"id": "1", "type": "text", "text": "hi"})
    bare_follow = line_event("follow", "U1", "w8")
    events = parse_line_webhook(line_body(message, bare_follow)).events
    assert [(e.type, e.data) for e in events] == [
        ("line.message", {"text": "hi", "message_type": "text"}),
        ("line.follow", {"unblocked": False}),
    ]


def test_non_text_messages_keep_their_type() -> None:
    body = line_body(line_event("message", "U1", "w5", message={"id": "1", "type": "sticker",
                                                                 "packageId": "1", "stickerId": "2",
                                                                 "stickerResourceType": "STATIC",
                                                                 "quoteToken": "q"}))  # fmt: skip
    [event] = parse_line_webhook(body).events
    assert event.data == {"text": "", "message_type": "sticker"}


def test_events_without_a_user_are_counted_by_type() -> None:
    event = follow("U1", "w6")
    event["source"] = {"type": "group", "groupId": "G1"}
    batch = parse_line_webhook(line_body(event))
    assert batch.events == [] and dict(batch.ignored) == {"follow:no-user": 1}


def test_a_payload_without_webhook_event_id_gets_a_stable_id() -> None:
    event = follow("U1", "w9")
    del event["webhookEventId"]
    first = parse_line_webhook(line_body(event)).events[0]
    event["deliveryContext"] = {"isRedelivery": True}
    again = parse_line_webhook(line_body(event)).events[0]
    assert first.id.startswith("line:h-") and first.id == again.id


def test_malformed_events_are_reported_and_the_valid_ones_kept() -> None:
    body = json.dumps(
        {"events": [1, {"type": "follow"}, {"type": "follow", "timestamp": 99999999999999},
                    follow("U1", "ok"), line_event("follow", "U\x00", "cc")]}
    ).encode()  # fmt: skip
    batch = parse_line_webhook(body)
    assert [e.id for e in batch.events] == ["line:ok"]
    assert [(p.index, p.field) for p in batch.malformed] == [
        (0, ""), (1, "timestamp"), (2, "timestamp"), (4, "source.userId"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b'{"destination": "x"}', "events"),
        (b'{"events": {}}', "events"),
    ],
)
def test_unusable_bodies_name_the_problem(body: bytes, fragment: str) -> None:
    with pytest.raises(InvalidBody, match=fragment):
        parse_line_webhook(body)


def test_an_events_reply_token_travels_with_it_and_a_strange_one_is_dropped() -> None:
    body = line_body(
        follow("U1", "w1"),
        line_event("unfollow", "U1", "w2"),  # LINE gives no token to an unfollow
        {**text_message("U1", "w3", "hi"), "replyToken": "bad\x00token"},
        {**postback("U1", "w4", "quiz=latte-2"), "replyToken": "x" * 300},
    )
    events = parse_line_webhook(body).events
    assert [e.reply_token for e in events] == ["nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", None, None, None]
    # The profile's record of the event keeps it; an event without one has no key at all
    assert events[0].as_record()["reply_token"] == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    assert "reply_token" not in events[1].as_record()
