"""LINE's webhook event shapes, as Kairos reads them (Messaging API reference,
"Webhook Event Objects").

Lenient on purpose: LINE adds fields and event types over time and older payloads lack
newer fields (`quoteToken`, `follow`, `webhookEventId`, ...). Every model allows extra
fields, every field LINE may omit is optional, and an unknown `type` still parses as a
`LineEvent`. Only what an event cannot be used without is required: `type` and a
`timestamp` (milliseconds, 1970–2100).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EPOCH_MS_2100 = 4_102_444_800_000


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Source(_Lenient):
    """`user`, `group` or `room`; `userId` is absent for group members who have not
    consented to share it."""

    type: str | None = None
    user_id: str | None = Field(default=None, alias="userId")
    group_id: str | None = Field(default=None, alias="groupId")
    room_id: str | None = Field(default=None, alias="roomId")


class DeliveryContext(_Lenient):
    is_redelivery: bool = Field(default=False, alias="isRedelivery")


class LineEvent(_Lenient):
    """Fields common to every webhook event; also the model of types Kairos does not know."""

    type: str = Field(min_length=1, max_length=64)
    timestamp: int = Field(ge=0, lt=_EPOCH_MS_2100)
    webhook_event_id: str | None = Field(
        default=None, alias="webhookEventId", min_length=1, max_length=128
    )
    mode: str | None = None
    source: Source | None = None
    delivery_context: DeliveryContext | None = Field(default=None, alias="deliveryContext")
    reply_token: str | None = Field(default=None, alias="replyToken")

    @property
    def user_id(self) -> str | None:
        return self.source.user_id if self.source is not None else None


class Message(_Lenient):
    """Any message: text, image, video, audio, file, location, sticker (and newer ones)."""

    id: str | None = None
    type: str = "unknown"
    text: str | None = None
    quote_token: str | None = Field(default=None, alias="quoteToken")
    mark_as_read_token: str | None = Field(default=None, alias="markAsReadToken")
    quoted_message_id: str | None = Field(default=None, alias="quotedMessageId")
    emojis: list[dict[str, Any]] | None = None
    mention: dict[str, Any] | None = None
    content_provider: dict[str, Any] | None = Field(default=None, alias="contentProvider")
    image_set: dict[str, Any] | None = Field(default=None, alias="imageSet")
    duration: int | None = None
    file_name: str | None = Field(default=None, alias="fileName")
    file_size: int | None = Field(default=None, alias="fileSize")
    title: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    package_id: str | None = Field(default=None, alias="packageId")
    sticker_id: str | None = Field(default=None, alias="stickerId")
    sticker_resource_type: str | None = Field(default=None, alias="stickerResourceType")
    keywords: list[str] | None = None


class MessageEvent(LineEvent):
    message: Message = Field(default_factory=Message)


class Unsend(_Lenient):
    message_id: str | None = Field(default=None, alias="messageId")


class UnsendEvent(LineEvent):
    unsend: Unsend | None = None


class Follow(_Lenient):
    is_unblocked: bool = Field(default=False, alias="isUnblocked")


class FollowEvent(LineEvent):
    follow: Follow | None = None
    """Absent in payloads from before LINE added it: then not an unblock."""


class UnfollowEvent(LineEvent):
    pass


class JoinEvent(LineEvent):
    pass


class LeaveEvent(LineEvent):
    pass


class Members(_Lenient):
    members: list[Source] = Field(default_factory=list)


class MemberJoinedEvent(LineEvent):
    joined: Members | None = None


class MemberLeftEvent(LineEvent):
    left: Members | None = None


class Postback(_Lenient):
    data: str = ""
    params: dict[str, Any] | None = None


class PostbackEvent(LineEvent):
    postback: Postback = Field(default_factory=Postback)


class VideoPlayComplete(_Lenient):
    tracking_id: str | None = Field(default=None, alias="trackingId")


class VideoPlayCompleteEvent(LineEvent):
    video_play_complete: VideoPlayComplete | None = Field(default=None, alias="videoPlayComplete")


class Beacon(_Lenient):
    hwid: str | None = None
    type: str | None = None
    dm: str | None = None


class BeaconEvent(LineEvent):
    beacon: Beacon | None = None


class AccountLink(_Lenient):
    result: str | None = None
    nonce: str | None = None


class AccountLinkEvent(LineEvent):
    link: AccountLink | None = None


class Things(_Lenient):
    device_id: str | None = Field(default=None, alias="deviceId")
    type: str | None = None
    result: dict[str, Any] | None = None


class ThingsEvent(LineEvent):
    things: Things | None = None


class Membership(_Lenient):
    type: str | None = None
    membership_id: int | str | None = Field(default=None, alias="membershipId")


class MembershipEvent(LineEvent):
    membership: Membership | None = None


class Module(_Lenient):
    type: str | None = None
    bot_id: str | None = Field(default=None, alias="botId")
    scopes: list[str] | None = None


class ModuleEvent(LineEvent):
    module: Module | None = None


class ChatControl(_Lenient):
    expire_at: int | None = Field(default=None, alias="expireAt")


class ActivatedEvent(LineEvent):
    chat_control: ChatControl | None = Field(default=None, alias="chatControl")


class DeactivatedEvent(LineEvent):
    pass


class BotSuspendedEvent(LineEvent):
    pass


class BotResumedEvent(LineEvent):
    pass


class PnpDelivery(_Lenient):
    data: str | None = None


class PnpDeliveryCompletionEvent(LineEvent):
    delivery: PnpDelivery | None = None


EVENT_MODELS: dict[str, type[LineEvent]] = {
    "message": MessageEvent,
    "unsend": UnsendEvent,
    "follow": FollowEvent,
    "unfollow": UnfollowEvent,
    "join": JoinEvent,
    "leave": LeaveEvent,
    "memberJoined": MemberJoinedEvent,
    "memberLeft": MemberLeftEvent,
    "postback": PostbackEvent,
    "videoPlayComplete": VideoPlayCompleteEvent,
    "beacon": BeaconEvent,
    "accountLink": AccountLinkEvent,
    "things": ThingsEvent,
    "membership": MembershipEvent,
    "module": ModuleEvent,
    "activated": ActivatedEvent,
    "deactivated": DeactivatedEvent,
    "botSuspended": BotSuspendedEvent,
    "botResumed": BotResumedEvent,
    "delivery": PnpDeliveryCompletionEvent,
}
"""Every event type LINE documents; any other type parses as a plain LineEvent."""


def read_event(raw: dict[str, Any]) -> LineEvent:
    """One event object as its model (raises pydantic's ValidationError)."""
    model = EVENT_MODELS.get(str(raw.get("type")), LineEvent)
    return model.model_validate(raw)
