"""Rendering templates: sandboxed, forgiving on missing values, strict on what LINE,
SES and SNS would refuse."""

from __future__ import annotations

from typing import Any

import pytest

from kairos.delivery.model import RenderError
from kairos.delivery.templates import EmailContent, LineContent, RenderContext, Renderer, SmsContent
from kairos.models.template import Template

BUBBLE = {"type": "bubble", "body": {"type": "box", "layout": "vertical",
          "contents": [{"type": "text", "text": "{{ profile.name }} 的專屬優惠"}]}}  # fmt: skip


def context(**profile: Any) -> RenderContext:
    return RenderContext(
        variables={"profile": profile, "tags": ["vip"], "stats": {"order_count": 2},
                   "event": {"data": {"coupon_id": "C30"}}, "journey": {"id": "j", "step": "s"}},
        track=lambda url: f"https://t.example/t/{len(url)}",
        unsubscribe_url=lambda channel: f"https://t.example/u/{channel}",
    )  # fmt: skip


def render(channel: str, **bodies: Any) -> Any:
    template = Template.model_validate({"id": "t", **bodies})
    return Renderer().render(template, channel, context(name="Amy"))  # type: ignore[arg-type]


def test_line_text_sees_profile_event_and_track() -> None:
    content = render("line", line={"text": "{{ profile.name }} {{ event.data.coupon_id }} {{ track('https://shop.example/c') }}"})  # fmt: skip
    assert isinstance(content, LineContent)
    assert content.messages == [{"type": "text", "text": "Amy C30 https://t.example/t/22"}]


def test_missing_values_fall_back_as_a_marketer_expects() -> None:
    template = Template.model_validate({"id": "t", "line": {"text": "{{ profile.nickname or '朋友' }}，{{ profile.address.city }}早安"}})  # fmt: skip
    content = Renderer().render(template, "line", context())
    assert isinstance(content, LineContent)
    assert content.text == "朋友，早安"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",   # sandbox escape
    "{{ profile.name | nosuchfilter }}",                 # unknown filter
    "{% if %}",                                          # syntax error
    "{{ 1 / 0 }}",                                       # runtime error
    "   ",                                               # renders empty
])  # fmt: skip
def test_a_bad_template_is_a_render_error_with_the_reason(source: str) -> None:
    with pytest.raises(RenderError) as info:
        render("line", line={"text": source})
    assert info.value.reason.startswith("line.text")


def test_flex_is_rendered_inside_and_validated() -> None:
    content = render("line", line={"flex": BUBBLE, "alt_text": "給 {{ profile.name }} 的優惠"})
    assert isinstance(content, LineContent)
    message = content.messages[0]
    assert message["altText"] == "給 Amy 的優惠"
    assert message["contents"]["body"]["contents"][0]["text"] == "Amy 的專屬優惠"


@pytest.mark.parametrize("flex", [
    {"type": "bubble", "body": {"type": "box", "layout": "sideways", "contents": []}},
    {"type": "bubble", "body": {"type": "box", "contents": []}},
    {"type": "poster"},
])  # fmt: skip
def test_flex_line_would_refuse_fails_rendering(flex: dict[str, Any]) -> None:
    with pytest.raises(RenderError) as info:
        render("line", line={"flex": flex})
    assert "not a valid Flex message" in info.value.reason


def test_email_html_is_escaped_text_is_not() -> None:
    template = Template.model_validate({"id": "t", "email": {"subject": "Hi {{ profile.name }}", "html": "<p>{{ profile.name }}</p>", "text": "{{ profile.name }}"}})  # fmt: skip
    content = Renderer().render(template, "email", context(name="<b>Amy</b>"))
    assert isinstance(content, EmailContent)
    assert content.html == "<p>&lt;b&gt;Amy&lt;/b&gt;</p>"
    assert content.text == "<b>Amy</b>"
    assert content.unsubscribe_url == "https://t.example/u/email"


def test_sms_carries_its_segment_count_and_refuses_a_novel() -> None:
    content = render("sms", sms={"text": "早" * 71})
    assert isinstance(content, SmsContent)
    assert content.size.segments == 2
    with pytest.raises(RenderError):
        render("sms", sms={"text": "早" * 700})


def test_a_channel_without_a_body_cannot_render() -> None:
    with pytest.raises(RenderError):
        render("email", line={"text": "hi"})


def test_identical_messages_share_a_group_key() -> None:
    a = render("line", line={"text": "本週新品"})
    b = render("line", line={"text": "本週新品"})
    c = render("line", line={"text": "本週新品!"})
    assert a.group_key() == b.group_key() != c.group_key()
