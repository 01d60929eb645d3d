"""The queue message that carries rich menu links from the evaluator to the sender.

The evaluator decides who should see which menu (binding.py) as members change; each
invocation packs its changes (`pack`: the last change of a user wins, one message per
menu — or per unlink — of at most 500 users, LINE's bulk limit) onto the LINE queue as
`MenuLinks` (`"v": "menu"`), beside the send requests. The sender turns each into one
bulk request (linker.py). A link carries LINE user ids (which LINE needs) and never
anything else of the member; logs count them, never list them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kairos.richmenus.api import BULK_MAX
from kairos.richmenus.binding import LinkChange

MENU_LINKS_VERSION = "menu"


class MenuLinks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal["menu"] = "menu"
    menu: str | None
    """A project menu id (its alias on the channel), or None: unlink (the default shows)."""
    users: list[str] = Field(min_length=1, max_length=BULK_MAX)
    attempt: int = Field(default=0, ge=0)


def pack(changes: Iterable[LinkChange]) -> list[MenuLinks]:
    """The fewest messages for these changes: by menu, BULK_MAX users each."""
    last: dict[str, str | None] = {}
    for change in changes:
        last.pop(change.user_id, None)  # re-insert: order follows the latest change
        last[change.user_id] = change.menu
    by_menu: dict[str | None, list[str]] = {}
    for user, menu in last.items():
        by_menu.setdefault(menu, []).append(user)
    messages: list[MenuLinks] = []
    for menu in sorted(by_menu, key=lambda m: (m is None, m or "")):
        users = by_menu[menu]
        for start in range(0, len(users), BULK_MAX):
            messages.append(MenuLinks(menu=menu, users=users[start : start + BULK_MAX]))
    return messages


def is_menu_links(body: str | None) -> bool:
    """Whether a queue message body is a `MenuLinks` (cheap: no full validation)."""
    if not body or '"menu"' not in body:
        return False
    try:
        data: Any = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("v") == MENU_LINKS_VERSION


def split_menu_links(
    event: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An SQS event's rich menu link records, and the event with the others."""
    records = event.get("Records", [])
    links = [r for r in records if is_menu_links(r.get("body"))]
    if not links:
        return [], event
    return links, {**event, "Records": [r for r in records if not is_menu_links(r.get("body"))]}
