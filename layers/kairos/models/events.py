"""The canonical event (SPEC §1): every input, whatever its route, becomes one of these."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

IDENTIFIER_KINDS: tuple[str, ...] = ("line_user_id", "external_id", "email", "phone")
"""Identifier kinds, strongest first: when two members claim one event, the first kind wins."""

KNOWN_TYPES: frozenset[str] = frozenset(
    {
        "line.follow", "line.unfollow", "line.message", "line.postback",
        "order.created", "order.cancelled", "profile.updated",
        "tag.added", "tag.removed", "coupon.issued", "coupon.redeemed",
        "email.delivered", "email.opened", "email.clicked", "email.bounced",
        "email.complained",
        "message.clicked", "unsubscribed",
        "page.viewed", "product.viewed", "cart.updated", "checkout.started",
        "checkout.updated",
    }
)  # fmt: skip


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times outside these are typos or probes; refusing them keeps TTL arithmetic and
sortable keys safe (year 9999 overflows a timedelta)."""

RESERVED_PROFILE_FIELDS: frozenset[str] = frozenset(
    {
        "line_following", "joined_at", "last_interaction_at", "unsubscribed",
        "email_status", "referred_by", "line_user_id", "external_id", "member_id",
    }
)  # fmt: skip
"""Profile fields Kairos keeps itself (from follows, unsubscribes, bounces, identity
linking): an event's `data` cannot set them."""


def _iso_string(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 time with offset, e.g. 2026-03-01T10:00:00+08:00")
    return value


def in_range(value: datetime) -> datetime:
    if value.tzinfo is not None and not EARLIEST <= value < LATEST:
        raise ValueError("must be between 1970 and 2100")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_string), AfterValidator(in_range)]
"""An ISO 8601 time with offset, 1970–2100; numbers (epoch guesses) are refused, not
reinterpreted."""

_CUSTOM_TYPE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def email_address(value: str) -> str:
    """A normalised email address, or ValueError."""
    if not _EMAIL.match(value) or _CONTROL.search(value):
        raise ValueError("not an email address")
    return value.lower()


def phone_number(value: str) -> str:
    """An E.164 phone number (spaces, dashes, brackets removed), or ValueError."""
    compact = re.sub(r"[\s()-]", "", value)
    if not _PHONE.match(compact):
        raise ValueError("phone must be E.164, e.g. +886912345678")
    return compact


REPLY_TOKEN_MAX = 256


def is_reply_token(value: str) -> bool:
    """Whether `value` can be LINE's reply token (short printable text)."""
    return 0 < len(value) <= REPLY_TOKEN_MAX and value.isprintable()


def printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


class MemberRef(BaseModel):
    """Any identifiers known for the member; at least one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line_user_id: str | None = Field(default=None, min_length=1, max_length=64)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16)
    external_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else email_address(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else phone_number(value)

    @field_validator("line_user_id", "external_id")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else printable(value)

    @model_validator(mode="after")
    def _at_least_one(self) -> MemberRef:
        if not self.identifiers():
            raise ValueError("member needs at least one of line_user_id, external_id, email, phone")
        return self

    def identifiers(self) -> dict[str, str]:
        """Known identifiers, strongest kind first."""
        return {kind: v for kind in IDENTIFIER_KINDS if (v := getattr(self, kind)) is not None}


# ---- typed `data` for the types the engine understands ------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    sku: str = Field(min_length=1)
    name: str | None = None
    category: str | None = None
    qty: int = Field(default=1, ge=0)
    price: float = Field(default=0, ge=0)


class OrderCreatedData(_Data):
    order_id: str = Field(min_length=1, max_length=128)
    total: float = Field(ge=0)
    currency: str = "TWD"
    items: list[OrderItem] = Field(default_factory=list)
    referred_by: MemberRef | None = None


class OrderCancelledData(_Data):
    order_id: str = Field(min_length=1)


class ConsentData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: bool | None = None
    email: bool | None = None
    sms: bool | None = None


class ProfileUpdatedData(_Data):
    name: str | None = None
    gender: str | None = None
    birthday: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    region: str | None = None
    join_source: str | None = None
    email: str | None = None
    phone: str | None = None
    consent: ConsentData | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else email_address(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else phone_number(value)

    @field_validator("birthday")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.strptime(value, "%Y-%m-%d")  # raises on 2026-02-30
        return value


class TagData(_Data):
    tag: str = Field(min_length=1, max_length=100)


class CouponIssuedData(_Data):
    coupon_id: str = Field(min_length=1)
    expires_at: IsoTime | None = None


class CouponRedeemedData(_Data):
    coupon_id: str = Field(min_length=1)


class FollowData(_Data):
    unblocked: bool = False


class MessageData(_Data):
    text: str = ""


class PostbackData(_Data):
    data: str


class UnsubscribedData(_Data):
    channel: Literal["line", "email", "sms", "all"] = "all"


class CheckoutEventData(_Data):
    """`checkout.started` / `checkout.updated` from a server (shop webhooks, /events)."""

    checkout_id: str = Field(min_length=1, max_length=128)
    total: float = Field(default=0, ge=0)
    currency: str = "TWD"
    items: list[OrderItem] = Field(default_factory=list, max_length=500)


class ProductViewedData(_Data):
    sku: str = Field(min_length=1, max_length=128)


DATA_MODELS: dict[str, type[_Data]] = {
    "checkout.started": CheckoutEventData,
    "checkout.updated": CheckoutEventData,
    "product.viewed": ProductViewedData,
    "order.created": OrderCreatedData,
    "order.cancelled": OrderCancelledData,
    "profile.updated": ProfileUpdatedData,
    "tag.added": TagData,
    "tag.removed": TagData,
    "coupon.issued": CouponIssuedData,
    "coupon.redeemed": CouponRedeemedData,
    "line.follow": FollowData,
    "line.message": MessageData,
    "line.postback": PostbackData,
    "unsubscribed": UnsubscribedData,
}


class CanonicalEvent(BaseModel):
    """One thing that happened to one member."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=256)
    type: str = Field(min_length=1, max_length=100)
    time: IsoTime
    member: MemberRef
    data: dict[str, Any] = Field(default_factory=dict)
    reply_token: str | None = None
    """LINE's `replyToken` of the member's own event (`line.*` types): lets a journey
    answer it with a free reply instead of a push (docs/events.md, "Reply tokens")."""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return printable(value)

    def as_record(self) -> dict[str, Any]:
        """The event as a profile carries it for the stream (`last_event`): JSON, and
        no `reply_token` key on events without one (most of them)."""
        record = self.model_dump(mode="json")
        if record.get("reply_token") is None:
            record.pop("reply_token", None)
        return record

    @field_validator("reply_token")
    @classmethod
    def _reply_token(cls, value: str | None) -> str | None:
        if value is not None and not is_reply_token(value):
            raise ValueError(
                f"a reply token is 1 to {REPLY_TOKEN_MAX} printable characters, as LINE gives it"
            )
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in KNOWN_TYPES and not _CUSTOM_TYPE.match(value):
            raise ValueError(
                f"unknown event type {value!r}: use a known type or a dotted custom type "
                "such as appointment.completed"
            )
        return value

    @model_validator(mode="after")
    def _typed_data(self) -> CanonicalEvent:
        if self.type == "profile.updated":
            for key in self.data:
                if key in RESERVED_PROFILE_FIELDS:
                    raise ValueError(
                        f"data.{key}: {key} is kept by Kairos and cannot be set by an event"
                        + (
                            " (identifiers are linked by naming them in `member`)"
                            if key in ("line_user_id", "external_id")
                            else ""
                        )
                    )
        model = DATA_MODELS.get(self.type)
        if model is not None:
            try:
                parsed = model.model_validate(self.data)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                reason = str(first["msg"]).removeprefix("Value error, ")
                raise ValueError(f"data.{where}: {reason}") from None
            self.data = parsed.model_dump(mode="json", exclude_none=True)
        return self

    @property
    def is_custom(self) -> bool:
        return self.type not in KNOWN_TYPES
