"""Message templates, `templates/*.yaml` (SPEC §5). Rendering lives in kairos.delivery."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QUICK_REPLY_MAX = 13
"""LINE's limit of quick-reply buttons under one message."""
QUICK_LABEL_MAX = 20
"""LINE's longest quick-reply button label."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Action(_Strict):
    """A quick-reply button: LINE's action object, keys as LINE names them (as in Flex)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)
    label: str = Field(min_length=1)
    """Up to 20 characters: checked here when it is plain text, once rendered when it
    holds `{{ … }}` (the sender refuses a rendered label past 20)."""

    @field_validator("label")
    @classmethod
    def _short(cls, label: str) -> str:
        if "{" not in label and len(label) > QUICK_LABEL_MAX:
            raise ValueError(f"{len(label)} characters, LINE allows {QUICK_LABEL_MAX}")
        return label


class MessageAction(_Action):
    """Tapping sends `text` as the member's own message (a `line.message` event)."""

    type: Literal["message"]
    text: str = Field(min_length=1, max_length=300)


class PostbackAction(_Action):
    """Tapping sends `data` to the webhook (a `line.postback` event); `displayText` is
    shown in the chat as the member's answer."""

    type: Literal["postback"]
    data: str = Field(min_length=1, max_length=300)
    display_text: str | None = Field(
        default=None, alias="displayText", min_length=1, max_length=300
    )


class UriAction(_Action):
    type: Literal["uri"]
    uri: str = Field(pattern=r"^(https?|line|tel):", max_length=1000)


class DatetimePickerAction(_Action):
    """The picked value arrives as a `line.postback` with `data` and `params`."""

    type: Literal["datetimepicker"]
    data: str = Field(min_length=1, max_length=300)
    mode: Literal["date", "time", "datetime"]
    initial: str | None = None
    max: str | None = None
    min: str | None = None


QuickReplyItem = Annotated[
    MessageAction | PostbackAction | UriAction | DatetimePickerAction,
    Field(discriminator="type"),
]


class LineTemplate(_Strict):
    text: str | None = None
    flex: dict[str, Any] | None = None
    alt_text: str | None = Field(default=None, max_length=400)
    """Shown in notifications for a Flex message."""
    quick_reply: list[QuickReplyItem] | None = Field(
        default=None, min_length=1, max_length=QUICK_REPLY_MAX
    )
    """Buttons under the message (up to 13): message, postback, URI or date-time picker."""

    @model_validator(mode="after")
    def _one_body(self) -> LineTemplate:
        if (self.text is None) == (self.flex is None):
            raise ValueError("a LINE template gives exactly one of text or flex")
        return self


class EmailTemplate(_Strict):
    subject: str = Field(min_length=1)
    html: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _a_body(self) -> EmailTemplate:
        if self.html is None and self.text is None:
            raise ValueError("an email template needs html or text")
        return self


class SmsTemplate(_Strict):
    text: str = Field(min_length=1)


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    line: LineTemplate | None = None
    email: EmailTemplate | None = None
    sms: SmsTemplate | None = None

    def channels(self) -> list[str]:
        return [c for c in ("line", "email", "sms") if getattr(self, c) is not None]
