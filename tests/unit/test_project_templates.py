"""`kairos validate` compiles every template in the sender's own sandboxed environment:
a template that validates is one the sender can render, and one the sender would refuse
is reported with its file, line, field and reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kairos.delivery.model import RenderError
from kairos.delivery.templates import RenderContext, Renderer
from kairos.models.template import Template
from kairos.project import ProjectError, load_project

JOURNEY = """
id: hello
name: 歡迎
trigger: {event: line.follow}
steps:
  - send: {template: t, channel: line}
"""


def problems_of(root: Path, template: dict[str, Any]) -> list[str]:
    """Problems of a project whose only template is `template` (one line per key)."""
    (root / "journeys").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "journeys" / "hello.yaml").write_text(JOURNEY.lstrip(), encoding="utf-8")
    # JSON values are YAML flow values: one key per line keeps the lines predictable.
    text = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in template.items())
    (root / "templates" / "t.yaml").write_text(text, encoding="utf-8")
    try:
        load_project(root)
    except ProjectError as exc:
        return [str(p) for p in exc.problems]
    return []


def send(template: dict[str, Any], channel: str = "line") -> None:
    """Render as the sender does, for a member who takes every branch below."""
    context = RenderContext(
        variables={"profile": {"name": "Amy", "age": 30}, "tags": ["vip"], "stats": {}},
        track=lambda url: url,
        unsubscribe_url=lambda channel: f"https://t.example/u/{channel}",
    )
    Renderer().render(Template.model_validate(template), channel, context)  # type: ignore[arg-type]


REFUSED = {
    "an unknown filter": (
        "{{ profile.name | shout }}",
        "template does not compile (line 1 of the text): no filter named 'shout'",
    ),
    "an unknown filter in a branch": (
        "早安\n{% if 'vip' in tags %}{{ profile.name | shout }}{% endif %}",
        "template does not compile (line 2 of the text): no filter named 'shout'",
    ),
    "an unknown test": (
        "{% if profile.age is adult %}hi{% endif %}",
        "template does not compile (line 1 of the text): no test named 'adult'",
    ),
    "an include": (
        "{% include 'footer.html' %}",
        "template does not compile (line 1 of the text): "
        "a message cannot include, import or extend another template",
    ),
    "a syntax error": (
        "hi\n{{ profile.name }",
        "template does not parse (line 2 of the text): unexpected '}'",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_the_sender_would_refuse_does_not_validate(tmp_path: Path, case: str) -> None:
    # Given a template text the sender cannot render
    text, reason = REFUSED[case]
    template = {"id": "t", "line": {"text": text}}
    # When the project is validated, then the file, line, field and reason are named
    assert problems_of(tmp_path, template) == [f"templates/t.yaml:2: line.text: {reason}"]
    # And the sender does refuse it
    with pytest.raises(RenderError):
        send(template)


ACCEPTED = [
    "{{ profile.name | default('朋友') | upper }}，{{ stats.order_count or 0 }}",
    "{% if profile.name is defined and 'vip' in tags %}{{ profile.name | e }}{% endif %}",
    "{% filter upper %}hi {{ profile.name }}{% endfilter %} {{ track('https://shop.example') }}",
    "{% for tag in tags | sort %}{{ loop.index }}:{{ tag | title }} {% endfor %}",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_what_the_sender_renders_validates(tmp_path: Path, text: str) -> None:
    template = {"id": "t", "line": {"text": text}}
    assert problems_of(tmp_path, template) == []
    send(template)


def test_every_rendered_text_is_compiled_and_located(tmp_path: Path) -> None:
    # Given a template with a broken text in several channels and inside a Flex message
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "{{ profile.name | shout }}"},
        ]},
    }  # fmt: skip
    template = {
        "id": "t",
        "line": {"flex": bubble, "alt_text": "{{ profile.name | whisper }}"},
        "email": {"subject": "hi", "html": "<p>{{ profile.name | bold }}</p>"},
        "sms": {"text": "{{ profile.name | shout }}"},
    }
    # When validated, then each is named with its line and field
    assert problems_of(tmp_path, template) == [
        "templates/t.yaml:2: line.alt_text: "
        "template does not compile (line 1 of the text): no filter named 'whisper'",
        "templates/t.yaml:2: line.flex.body.contents[0].text: "
        "template does not compile (line 1 of the text): no filter named 'shout'",
        "templates/t.yaml:3: email.html: "
        "template does not compile (line 1 of the text): no filter named 'bold'",
        "templates/t.yaml:4: sms.text: "
        "template does not compile (line 1 of the text): no filter named 'shout'",
    ]
    for channel in ("line", "email", "sms"):
        with pytest.raises(RenderError):
            send(template, channel)


QUIZ = [
    {"type": "postback", "label": "焦糖", "data": "quiz=1", "displayText": "焦糖星冰樂"},
    {"type": "message", "label": "抹茶", "text": "抹茶"},
    {"type": "uri", "label": "菜單", "uri": "https://cafe.example/menu"},
    {"type": "datetimepicker", "label": "預約", "data": "book=1", "mode": "datetime"},
]


def test_quick_replies_render_under_the_message(tmp_path: Path) -> None:
    # Given a text template with the four kinds of quick-reply button
    template = {"id": "t", "line": {"text": "選一杯", "quick_reply": QUIZ}}
    # When validated and rendered, then LINE gets them as the message's quickReply items
    assert problems_of(tmp_path, template) == []
    context = RenderContext(variables={}, track=lambda u: u, unsubscribe_url=lambda c: "")
    content = Renderer().render(Template.model_validate(template), "line", context)
    (message,) = content.messages  # type: ignore[attr-defined]
    assert message["quickReply"]["items"][0] == {"type": "action", "action": QUIZ[0]}
    assert [i["action"]["type"] for i in message["quickReply"]["items"]] == [
        "postback", "message", "uri", "datetimepicker"
    ]  # fmt: skip


QUICK_REFUSED = {
    "14 buttons": (
        [QUIZ[0]] * 14,
        "templates/t.yaml:2: line.quick_reply: List should have at most 13 items",
    ),
    "a postback without data": (
        [{"type": "postback", "label": "焦糖"}],
        "templates/t.yaml:2: line.quick_reply[0].postback: missing field 'data'",
    ),
    "a label past 20 characters": (
        [{"type": "message", "label": "焦" * 21, "text": "x"}],
        "templates/t.yaml:2: line.quick_reply[0].message.label: 21 characters, LINE allows 20",
    ),
    "an unknown kind": (
        [{"type": "camera", "label": "拍照"}],
        "templates/t.yaml:2: line.quick_reply[0]: Input tag 'camera'",
    ),
    "a rendered label past 20 characters": (
        [{"type": "message", "label": "{{ '焦' * 21 }}", "text": "x"}],
        "",
    ),
    "a broken template in a label": (
        [{"type": "message", "label": "{{ profile.name | shout }}", "text": "x"}],
        "templates/t.yaml:2: line.quick_reply[0].label: template does not compile "
        "(line 1 of the text): no filter named 'shout'",
    ),
}


@pytest.mark.parametrize("case", QUICK_REFUSED)
def test_what_line_would_refuse_in_a_quick_reply_does_not_validate(
    tmp_path: Path, case: str
) -> None:
    items, problem = QUICK_REFUSED[case]
    template = {"id": "t", "line": {"text": "選一杯", "quick_reply": items}}
    if not problem:  # valid as written; the sender refuses it once rendered
        assert problems_of(tmp_path, template) == []
        with pytest.raises(RenderError, match=r"quick_reply\[0\].label: rendered 21"):
            send(template)
        return
    (found,) = [p for p in problems_of(tmp_path, template) if p.startswith("templates/")]
    assert found.startswith(problem), found
