"""A Flex list repeats a node per element (`for_each`): the abandoned-checkout carousel
shows the cart's items with their images, at most `limit` of them."""

from __future__ import annotations

from kairos.delivery.templates import LineContent, RenderContext, Renderer
from kairos.models.template import Template

ITEM = {"type": "bubble", "hero": {"type": "image", "url": "{{ item.image }}"},
        "body": {"type": "box", "layout": "vertical",
                 "contents": [{"type": "text", "text": "{{ item.name }} × {{ item.qty }}"}]}}  # fmt: skip


def _render(items: list[dict[str, object]], limit: int | None = None) -> LineContent:
    repeat: dict[str, object] = {"for_each": "trigger.data.items", "item": ITEM}
    if limit is not None:
        repeat["limit"] = limit
    template = Template.model_validate(
        {
            "id": "t",
            "line": {"alt_text": "cart", "flex": {"type": "carousel", "contents": [repeat]}},
        }
    )
    context = RenderContext(
        variables={"profile": {}, "tags": [], "stats": {}, "trigger": {"data": {"items": items}},
                   "event": {"data": {"items": items}}, "journey": {"id": "j", "step": "s"}},
        track=lambda url: url,
        unsubscribe_url=lambda channel: "https://t.example/u",
    )  # fmt: skip
    content = Renderer().render(template, "line", context)
    assert isinstance(content, LineContent)
    return content


def test_each_item_becomes_a_bubble_with_its_image() -> None:
    items = [{"name": "床墊", "qty": 1, "image": "https://shop.example/i/1.jpg"},
             {"name": "枕頭", "qty": 2, "image": "https://shop.example/i/2.jpg"}]  # fmt: skip
    bubbles = _render(items).messages[0]["contents"]["contents"]
    assert [b["hero"]["url"] for b in bubbles] == [i["image"] for i in items]
    assert bubbles[1]["body"]["contents"][0]["text"] == "枕頭 × 2"


def test_the_limit_caps_the_carousel() -> None:
    items = [
        {"name": f"p{n}", "qty": 1, "image": f"https://shop.example/i/{n}.jpg"} for n in range(15)
    ]
    assert len(_render(items, limit=3).messages[0]["contents"]["contents"]) == 3
    assert len(_render(items).messages[0]["contents"]["contents"]) == 10
