"""Rendering message templates (SPEC §5) in a sandbox.

Templates are written by marketers, so they run in Jinja2's `SandboxedEnvironment` (no
attribute access to Python internals, no I/O). Missing values are forgiving
(`ChainableUndefined`: `{{ profile.name or '朋友' }}` and `{{ profile.address.city }}`
work on members without them) because a marketer expects a fallback, not a failed
send. Anything else that goes wrong (syntax, a runtime error, a Flex message LINE would
refuse, an empty body) is a `RenderError`, which the sender records as a `failed`
delivery with the reason instead of failing the batch.

Variables: `profile`, `tags`, `stats`, `event` (the trigger; also as `trigger`),
`journey` (`id`, `version`, `step`), `unsubscribe_url`, and `track(url)`. A Flex list
may repeat a node per element of a list (`{for_each: PATH, item: NODE}`, `item` inside).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import ChainableUndefined
from jinja2 import Template as JinjaTemplate
from jinja2.sandbox import SandboxedEnvironment

from kairos.delivery.model import ChannelName, RenderError
from kairos.delivery.sms import SmsSize, measure
from kairos.models.template import QUICK_LABEL_MAX, LineTemplate, Template

LINE_TEXT_MAX = 5000
FOR_EACH_LIMIT = 10
"""Elements a Flex `for_each` repeats by default (a carousel holds at most 12 bubbles)."""
SMS_MAX_SEGMENTS = 10
"""SNS refuses an SMS over 1,600 bytes; ten segments is the practical ceiling."""
DEFAULT_ALT_TEXT = "New message"


@dataclass(frozen=True)
class LineContent:
    messages: list[dict[str, Any]]
    """LINE message objects, as the Messaging API takes them."""
    text: str
    """The text, or a Flex message's alt text (for the timeline)."""
    unit: str | None = None
    """LINE's `customAggregationUnits` name of the journey step (units.py)."""

    def group_key(self) -> str:
        """Equal for byte-identical messages of one step: those can share one multicast."""
        return json.dumps([self.unit, self.messages], sort_keys=True, ensure_ascii=False)

    def body(self, to: str | list[str]) -> dict[str, Any]:
        """The push or multicast request body for `to`."""
        body: dict[str, Any] = {"to": to, "messages": self.messages}
        if self.unit is not None:
            body["customAggregationUnits"] = [self.unit]
        return body


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str | None
    text: str | None
    unsubscribe_url: str


@dataclass(frozen=True)
class SmsContent:
    text: str
    size: SmsSize


Content = LineContent | EmailContent | SmsContent


@dataclass
class RenderContext:
    """Everything a template may see, plus who the links are for."""

    variables: dict[str, Any]
    track: Callable[[str], str]
    unsubscribe_url: Callable[[str], str]
    """Per channel: email and SMS carry their own unsubscribe link."""


@dataclass
class Renderer:
    _plain: SandboxedEnvironment = field(
        default_factory=lambda: SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)
    )
    _html: SandboxedEnvironment = field(
        default_factory=lambda: SandboxedEnvironment(undefined=ChainableUndefined, autoescape=True)
    )
    _compiled: dict[tuple[bool, str], JinjaTemplate] = field(default_factory=dict)

    def _render(
        self,
        source: str,
        where: str,
        ctx: RenderContext,
        variables: dict[str, Any],
        *,
        html: bool = False,
    ) -> str:
        key = (html, source)
        try:
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = (self._html if html else self._plain).from_string(source)
                if len(self._compiled) > 2048:  # bounded: templates are few, texts vary
                    self._compiled.clear()
                self._compiled[key] = compiled
            return compiled.render(**variables, track=ctx.track)
        except Exception as exc:  # any template error is the template's, not the batch's
            raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from exc

    def render(self, template: Template, channel: ChannelName, ctx: RenderContext) -> Content:
        variables = {**ctx.variables, "unsubscribe_url": ctx.unsubscribe_url(channel)}
        if channel == "line":
            return self._line(template, ctx, variables)
        if channel == "email":
            return self._email(template, ctx, variables)
        return self._sms(template, ctx, variables)

    def _line(
        self, template: Template, ctx: RenderContext, variables: dict[str, Any]
    ) -> LineContent:
        body = template.line
        if body is None:
            raise RenderError(f"template {template.id} has no line body")
        if body.text is not None:
            text = self._render(body.text, "line.text", ctx, variables).strip()
            if not text:
                raise RenderError("line.text: rendered empty")
            if len(text) > LINE_TEXT_MAX:
                raise RenderError(f"line.text: {len(text)} characters, LINE allows {LINE_TEXT_MAX}")
            message: dict[str, Any] = {"type": "text", "text": text}
            return LineContent(messages=[self._quick(message, body, ctx, variables)], text=text)
        assert body.flex is not None  # the model guarantees text xor flex
        contents = self._render_tree(body.flex, "line.flex", ctx, variables)
        alt = body.alt_text or DEFAULT_ALT_TEXT
        alt = self._render(alt, "line.alt_text", ctx, variables).strip() or DEFAULT_ALT_TEXT
        message = {"type": "flex", "altText": alt, "contents": contents}
        message = self._quick(message, body, ctx, variables)
        # Imported here: line-bot-sdk takes over a second to import, and only a Flex
        # message needs its models.
        from linebot.v3.messaging import FlexMessage

        try:
            # line-bot-sdk's models are LINE's published schema: what they refuse, LINE would.
            FlexMessage.from_dict(message)
        except Exception as exc:
            raise RenderError(f"line.flex: not a valid Flex message: {_first_line(exc)}") from exc
        return LineContent(messages=[message], text=alt)

    def _quick(
        self,
        message: dict[str, Any],
        body: LineTemplate,
        ctx: RenderContext,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        """The message with its quick-reply buttons (`quick_reply:`), texts rendered."""
        if not body.quick_reply:
            return message
        items = []
        for i, item in enumerate(body.quick_reply):
            action = self._render_tree(
                item.model_dump(exclude_none=True), f"line.quick_reply[{i}]", ctx, variables
            )
            if len(action["label"]) > QUICK_LABEL_MAX:
                raise RenderError(
                    f"line.quick_reply[{i}].label: rendered {len(action['label'])} characters,"
                    f" LINE allows {QUICK_LABEL_MAX}"
                )
            items.append({"type": "action", "action": action})
        return {**message, "quickReply": {"items": items}}

    def _render_tree(
        self, node: Any, where: str, ctx: RenderContext, variables: dict[str, Any]
    ) -> Any:
        """Render every string inside a Flex JSON tree (keys stay as written)."""
        if isinstance(node, str):
            return self._render(node, where, ctx, variables)
        if isinstance(node, dict):
            return {
                k: self._render_tree(v, f"{where}.{k}", ctx, variables) for k, v in node.items()
            }
        if isinstance(node, list):
            rendered: list[Any] = []
            for i, v in enumerate(node):
                if isinstance(v, dict) and "for_each" in v and "item" in v:
                    rendered.extend(self._repeat(v, f"{where}[{i}]", ctx, variables))
                else:
                    rendered.append(self._render_tree(v, f"{where}[{i}]", ctx, variables))
            return rendered
        return node

    def _repeat(
        self, node: dict[str, Any], where: str, ctx: RenderContext, variables: dict[str, Any]
    ) -> list[Any]:
        """`{for_each: profile.cart.items, limit: 10, item: NODE}` in a Flex list: NODE
        once per element (at most `limit`, default 10), the element as `item`
        (docs/templates.md; a carousel of the cart's products)."""
        found: Any = variables
        for part in str(node["for_each"]).split("."):
            found = found.get(part) if isinstance(found, dict) else None
        elements = found if isinstance(found, list) else []
        limit = int(node.get("limit", FOR_EACH_LIMIT))
        return [
            self._render_tree(node["item"], f"{where}.item", ctx, {**variables, "item": element})
            for element in elements[:limit]
        ]

    def _email(
        self, template: Template, ctx: RenderContext, variables: dict[str, Any]
    ) -> EmailContent:
        body = template.email
        if body is None:
            raise RenderError(f"template {template.id} has no email body")
        subject = " ".join(self._render(body.subject, "email.subject", ctx, variables).split())
        if not subject:
            raise RenderError("email.subject: rendered empty")
        html = (
            self._render(body.html, "email.html", ctx, variables, html=True) if body.html else None
        )
        text = self._render(body.text, "email.text", ctx, variables) if body.text else None
        if not (html or "").strip() and not (text or "").strip():
            raise RenderError("email: both bodies rendered empty")
        return EmailContent(subject, html, text, variables["unsubscribe_url"])

    def _sms(self, template: Template, ctx: RenderContext, variables: dict[str, Any]) -> SmsContent:
        body = template.sms
        if body is None:
            raise RenderError(f"template {template.id} has no sms body")
        text = self._render(body.text, "sms.text", ctx, variables).strip()
        if not text:
            raise RenderError("sms.text: rendered empty")
        size = measure(text)
        if size.segments > SMS_MAX_SEGMENTS:
            raise RenderError(
                f"sms.text: {size.segments} segments ({size.encoding}),"
                f" the limit is {SMS_MAX_SEGMENTS}"
            )
        return SmsContent(text, size)


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[:3])[:300]
