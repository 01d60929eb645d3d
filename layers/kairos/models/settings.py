"""Brand settings, `kairos.yaml` (SPEC §6)."""

from __future__ import annotations

import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kairos.models.richmenu import Binding

Channel = Literal["line", "email", "sms"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a 24-hour HH:MM time")
    return value


class Strict(BaseModel):
    """Settings files reject unknown keys: a typo must not silently do nothing."""

    model_config = ConfigDict(extra="forbid")


class QuietHours(Strict):
    start: str
    end: str

    _hhmm = field_validator("start", "end")(classmethod(lambda cls, v: _check_hhmm(v)))


class Duration(Strict):
    minutes: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    weeks: int = Field(default=0, ge=0)

    def total_seconds(self) -> int:
        return ((self.weeks * 7 + self.days) * 24 * 60 + self.hours * 60 + self.minutes) * 60


class FrequencyCap(Strict):
    max: int = Field(ge=1)
    per: Duration


class LineChannel(Strict):
    rate_per_second: float = Field(default=2000, gt=0)
    multicast_rate_per_second: float = Field(default=200, gt=0)
    monthly_limit: int | None = Field(default=None, ge=0)
    richmenu_rate_per_second: float = Field(default=100, gt=0)
    """Bulk rich menu link and unlink requests per second, every sender together."""
    replies: bool = True
    """Answer the member's own LINE event (follow, postback, message) with a free reply
    when a journey's send is due at once; False: every LINE message is pushed."""
    reply_rate_per_second: float = Field(default=2000, gt=0)
    monthly_limit_reached: Literal["fallback", "next_month"] = "fallback"
    """When the month's LINE messages are used up (`monthly_limit`, or LINE's own 429):
    `fallback` takes the step's next channel (else `quota_exceeded`); `next_month` keeps
    the send and delivers it on LINE when the next month begins (after quiet hours)."""


class EmailChannel(Strict):
    rate_per_second: float = Field(default=14, gt=0)
    from_: str = Field(default="hello@shop.example", alias="from")
    reply_to: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SmsChannel(Strict):
    rate_per_second: float = Field(default=20, gt=0)
    sender_id: str | None = None


class Channels(Strict):
    line: LineChannel = Field(default_factory=LineChannel)
    email: EmailChannel = Field(default_factory=EmailChannel)
    sms: SmsChannel = Field(default_factory=SmsChannel)


class Rfm(Strict):
    """Ascending thresholds: recency in days (fewer days scores higher), frequency in
    orders and monetary in total spent (more scores higher); four cut points give 1–5."""

    recency_days: list[float] = Field(default_factory=lambda: [30.0, 60.0, 90.0, 180.0])
    frequency: list[float] = Field(default_factory=lambda: [2.0, 3.0, 5.0, 8.0])
    monetary: list[float] = Field(default_factory=lambda: [1000.0, 3000.0, 6000.0, 10000.0])

    @field_validator("recency_days", "frequency", "monetary")
    @classmethod
    def _four_ascending(cls, value: list[float]) -> list[float]:
        if len(value) != 4 or value != sorted(value):
            raise ValueError("needs four ascending thresholds")
        return value


class LifecycleStage(Strict):
    stage: str = Field(min_length=1)
    when: dict[str, Any]
    """A condition (SPEC §3); checked when the project is loaded."""


def _default_lifecycle() -> list[LifecycleStage]:
    return [
        LifecycleStage(stage="golden", when={"field": "stats.referrals", "gte": 1}),
        LifecycleStage(stage="loyal", when={"field": "stats.order_count", "gte": 2}),
        LifecycleStage(stage="customer", when={"field": "stats.order_count", "gte": 1}),
        LifecycleStage(stage="lead", when={"field": "tags", "contains": "inquired"}),
        LifecycleStage(stage="prospect", when={"field": "profile.line_following", "eq": True}),
    ]


def _default_priority() -> list[Channel]:
    return ["line", "email", "sms"]


class Settings(Strict):
    timezone: str = "Asia/Taipei"
    quiet_hours: QuietHours | None = None
    frequency_cap: FrequencyCap | None = None
    channel_priority: list[Channel] = Field(default_factory=_default_priority)
    channels: Channels = Field(default_factory=Channels)
    rfm: Rfm = Field(default_factory=Rfm)
    lifecycle: list[LifecycleStage] = Field(default_factory=_default_lifecycle)
    richmenus: list[Binding] = Field(default_factory=list)
    """Rich menus by segment or tag, first match wins; `{menu: ID}` alone is the
    default for everyone else (docs/settings.md)."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _distinct_priority(self) -> Settings:
        if len(set(self.channel_priority)) != len(self.channel_priority):
            raise ValueError("channel_priority lists a channel twice")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
