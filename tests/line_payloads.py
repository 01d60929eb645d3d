"""LINE webhook event objects written from LINE's Messaging API reference ("Webhook
Event Objects"), each with and without its optional fields: what a real channel sends."""

from __future__ import annotations

from typing import Any

from tests.builders import NOW_MS

USER = {"type": "user", "userId": "U4af4980629aaaaaaaaaaaaaaaaaaaaaaa"}
GROUP_WITH_USER = {"type": "group", "groupId": "Ca56f94637c", "userId": "U4af4980629bbbb"}
GROUP = {"type": "group", "groupId": "Ca56f94637c"}
ROOM = {"type": "room", "roomId": "Ra8dbf4673c"}


def _event(kind: str, n: int, source: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": NOW_MS + n,
        "source": source or USER,
        "webhookEventId": f"01FZ74A0TDDPYRVKNK77XKC{n:03d}",
        "deliveryContext": {"isRedelivery": False},
    }
    event.update(extra)
    return event


REPLY = {"replyToken": "b60d432864f44d079f6d8efe86cf404b"}

MESSAGES: list[dict[str, Any]] = [
    {"id": "444573844083572737", "type": "text", "quoteToken": "q3Plxr4AgKd",
     "text": "@All @example Good Morning!! (love)",
     "emojis": [{"index": 29, "length": 6, "productId": "5ac1bfd5040ab15980c9b435",
                 "emojiId": "001"}],
     "mention": {"mentionees": [{"index": 0, "length": 4, "type": "all"}]}},
    {"id": "468789577898262530", "type": "text", "text": "沒有 quoteToken 的舊格式"},
    {"id": "354718705033693859", "type": "image", "quoteToken": "q3Plxr4AgKd",
     "contentProvider": {"type": "line"},
     "imageSet": {"id": "E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855",
                  "index": 1, "total": 2}},
    {"id": "325708", "type": "image", "contentProvider": {"type": "external",
     "originalContentUrl": "https://example.com/original.jpg"}},
    {"id": "325708", "type": "video", "quoteToken": "q", "duration": 60000,
     "contentProvider": {"type": "line"}},
    {"id": "325708", "type": "audio", "duration": 60000, "contentProvider": {"type": "line"}},
    {"id": "325708", "type": "file", "fileName": "file.txt", "fileSize": 2138},
    {"id": "325708", "type": "location", "title": "my location",
     "address": "日本、〒102-8282 東京都千代田区紀尾井町1番3号",
     "latitude": 35.67966, "longitude": 139.73669},
    {"id": "325708", "type": "location", "latitude": 35.6, "longitude": 139.7},
    {"id": "1501597916", "type": "sticker", "quoteToken": "q", "stickerId": "52002738",
     "packageId": "11537", "stickerResourceType": "ANIMATION",
     "keywords": ["cony", "sally", "Staring"], "quotedMessageId": "468789532432007169"},
    {"id": "1501597916", "type": "sticker", "stickerId": "52002738", "packageId": "11537",
     "stickerResourceType": "MESSAGE", "text": "Let's hang out this weekend!"},
    {"id": "1", "type": "a-type-line-adds-later", "whatever": {"x": 1}},
]  # fmt: skip

ACTED_ON: list[tuple[dict[str, Any], str]] = [
    (_event("follow", 1, follow={"isUnblocked": False}, **REPLY), "line.follow"),
    (_event("follow", 2, follow={"isUnblocked": True}, **REPLY), "line.follow"),
    (_event("follow", 3, **REPLY), "line.follow"),  # before LINE added `follow`
    (_event("unfollow", 4), "line.unfollow"),
    (_event("postback", 5, postback={"data": "action=buy&itemid=111"}, **REPLY), "line.postback"),
    (_event("postback", 6, postback={"data": "storeId=12345",
                                     "params": {"datetime": "2017-12-25T01:00"}}, **REPLY),
     "line.postback"),
    (_event("postback", 7, GROUP_WITH_USER,
            postback={"data": "richmenu-changed-to-b",
                      "params": {"newRichMenuAliasId": "richmenu-alias-b", "status": "SUCCESS"}}),
     "line.postback"),
    *[(_event("message", 10 + i, **REPLY, message=m), "line.message")
      for i, m in enumerate(MESSAGES)],
    (_event("message", 40, GROUP_WITH_USER, message=MESSAGES[0], **REPLY), "line.message"),
    ({k: v for k, v in _event("follow", 41).items() if k not in ("mode", "deliveryContext")},
     "line.follow"),  # a minimal, older shape
]  # fmt: skip

NOT_ACTED_ON: list[dict[str, Any]] = [
    _event("unsend", 50, unsend={"messageId": "325708"}),
    _event("join", 51, GROUP, **REPLY),
    _event("leave", 52, GROUP),
    _event("memberJoined", 53, GROUP, joined={"members": [USER, {"type": "user", "userId": "U2"}]},
           **REPLY),
    _event("memberLeft", 54, ROOM, left={"members": [USER]}),
    _event("videoPlayComplete", 55, videoPlayComplete={"trackingId": "track-id"}, **REPLY),
    _event("beacon", 56, beacon={"hwid": "d41d8cd98f", "type": "enter"}, **REPLY),
    _event("beacon", 57, beacon={"hwid": "d41d8cd98f", "type": "banner", "dm": "1234"}),
    _event("accountLink", 58, link={"result": "ok", "nonce": "xxxxxxxxxxxxxxx"}, **REPLY),
    _event("accountLink", 59, link={"result": "failed", "nonce": "xxx"}),
    _event("things", 60, things={"deviceId": "t2c449c9d1", "type": "link"}, **REPLY),
    _event("things", 61, things={"deviceId": "t2c449c9d1", "type": "scenarioResult",
                                 "result": {"scenarioId": "XXX", "revision": 2,
                                            "startTime": 1547817845950,
                                            "endTime": 1547817845952,
                                            "resultCode": "success"}}),
    _event("membership", 62, membership={"type": "joined", "membershipId": 3189}, **REPLY),
    _event("membership", 63, membership={"type": "renewed", "membershipId": 3189}),
    _event("module", 64, {"type": "user", "userId": "U1"},
           module={"type": "attached", "botId": "U111", "scopes": ["message.write"]}),
    _event("activated", 65, chatControl={"expireAt": 1462629479860}),
    _event("deactivated", 66),
    _event("botSuspended", 67),
    _event("botResumed", 68),
    _event("delivery", 69, delivery={"data": "563831dc82eb"}),
    _event("message", 70, GROUP, message=MESSAGES[0], **REPLY),  # a member without consent
    _event("follow", 71, ROOM),
    _event("somethingNew", 72, brandNewField={"a": [1, 2]}),
]  # fmt: skip
