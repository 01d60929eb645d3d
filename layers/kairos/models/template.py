"""Message templates, `templates/*.yaml` (SPEC §5). Rendering lives in kairos.delivery."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineTemplate(_Strict):
    text: str | None = None
    flex: dict[str, Any] | None = None
    alt_text: str | None = Field(default=None, max_length=400)
    """Shown in notifications for a Flex message."""

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
