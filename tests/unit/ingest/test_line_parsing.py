from __future__ import annotations

import pytest

from kairos.ingest.errors import InvalidBody
from kairos.ingest.line import parse_line_webhook
from tests.builders import follow, line_body, line_event, postback, text_message


def test_follow_unfollow_message_postback_become_canonical_events() -> None:
    body = line_body(
        follow("U1", "w1", unblocked=True),
        line_event("unfollow", "U1", "w2"),
        text_message("U1", "w3", "早安"),
        postback("U1", "w4", "quiz=latte-2"),
    )
    events = parse_line_webhook(body)
    assert [(e.id, e.type, e.data) for e in events] == [
        ("line-w1", "line.follow", {"unblocked": True}),
        ("line-w2", "line.unfollow", {}),
        ("line-w3", "line.message", {"text": "早安", "message_type": "text"}),
        ("line-w4", "line.postback", {"data": "quiz=latte-2"}),
    ]
    assert all(e.member.line_user_id == "U1" for e in events)
    assert events[0].time.isoformat() == "2026-03-01T02:00:00+00:00"


def test_non_text_messages_keep_their_type() -> None:
    body = line_body(line_event("message", "U1", "w5", message={"id": "1", "type": "sticker",
                                                                 "packageId": "1", "stickerId": "2",
                                                                 "stickerResourceType": "STATIC",
                                                                 "quoteToken": "q"}))  # fmt: skip
    [event] = parse_line_webhook(body)
    assert event.data == {"text": "", "message_type": "sticker"}


def test_events_without_a_user_are_skipped() -> None:
    event = follow("U1", "w6")
    event["source"] = {"type": "group", "groupId": "G1"}
    assert parse_line_webhook(line_body(event)) == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b'{"destination": "x"}', "events"),
        (b'{"events": [{"type": "follow", "timestamp": 1}]}', "events[0].webhookEventId"),
        (b'{"events": [1]}', "events[0]: not an object"),
    ],
)
def test_malformed_bodies_name_the_problem(body: bytes, fragment: str) -> None:
    with pytest.raises(InvalidBody, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        parse_line_webhook(body)
