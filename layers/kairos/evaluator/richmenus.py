"""Rich menus follow the member: after each member change (the stream) and each
time-driven segment move (a recheck timer), the member's bound menu (kairos.yaml's
`richmenus:` bindings, first match wins — kairos.richmenus.binding) is worked out
before and after; when it differs, a link (or an unlink: back to the channel's
default) joins this invocation's buffer, and the buffer goes onto the LINE queue as
`MenuLinks` messages of up to 500 users when the invocation's sends go out together
(kairos.richmenus.links.pack). The sender makes one bulk request of each.

Nothing is scanned and nothing is stored: the answer before and after comes from the
member as the change found it (segment conditions evaluated on both contexts, tags
before and after), so the work is O(bindings) per change and none when the project
binds no menu. A member who blocked the account is left alone; one who unblocks gets
their menu again. A journey step `richmenu: ID` links one member at once the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from kairos.engine.triggers import in_segment
from kairos.evaluator.context import ContextBuilder
from kairos.models.member import Member
from kairos.project import Project
from kairos.richmenus.binding import LinkChange, bound_menu, default_menu, link_change
from kairos.richmenus.links import MenuLinks, pack

RICHMENU_SET = "richmenu.set"
"""The event a journey's `richmenu:` step applies to the member (kairos.engine.steps)."""


class MenuLinkQueue(Protocol):
    def send_menu_links(self, messages: list[MenuLinks]) -> int: ...


def _following(member: Member | None) -> bool:
    return member is not None and member.profile.get("line_following") is True


class MenuFollower:
    def __init__(
        self, project: Project, contexts: ContextBuilder, queue: MenuLinkQueue | None
    ) -> None:
        self.project = project
        self.contexts = contexts
        self.queue = queue
        self.bindings = project.settings.richmenus
        self.segments = sorted({b.segment for b in self.bindings if b.segment is not None})
        self._buffer: list[LinkChange] | None = None
        self.queued = 0

    @property
    def active(self) -> bool:
        return bool(self.bindings) and self.queue is not None

    def menu_of(self, member: Member, ctx: Mapping[str, Any], now: datetime) -> str | None:
        inside = {
            s
            for s in self.segments
            if s in self.project.segments and in_segment(self.project.segments[s], ctx, now)
        }
        return bound_menu(self.bindings, inside, member.tags)

    def on_member_change(
        self, after: Member, before: Member | None, event: Mapping[str, Any], now: datetime
    ) -> None:
        if event.get("type") == RICHMENU_SET and self.queue is not None:
            # A journey's `richmenu:` step: this menu now (the default's id: unlink).
            menu = str((event.get("data") or {}).get("menu", "")) or None
            self.link(after, None if menu == default_menu(self.bindings) else menu)
            return
        if not self.active:
            return
        menu_after = self.menu_of(after, self.contexts.build(after, now, event=event), now)
        menu_before = (
            self.menu_of(before, self.contexts.build(before, now, event=event), now)
            if before is not None
            else None
        )
        refollowed = _following(after) and not _following(before)
        self._add(
            link_change(
                after.member_id,
                after.identifiers.get("line_user_id"),
                _following(after),
                menu_before,
                menu_after,
                refollowed=refollowed,
            )
        )

    def on_segment_moved(
        self, member: Member, segment: str, inside: bool, ctx: Mapping[str, Any], now: datetime
    ) -> None:
        """Time alone moved the member into or out of `segment` (a recheck timer)."""
        if not self.active or segment not in self.segments:
            return
        now_in = {
            s
            for s in self.segments
            if s in self.project.segments and in_segment(self.project.segments[s], ctx, now)
        }
        was_in = (now_in - {segment}) | ({segment} if not inside else set())
        self._add(
            link_change(
                member.member_id,
                member.identifiers.get("line_user_id"),
                _following(member),
                bound_menu(self.bindings, was_in, member.tags),
                bound_menu(self.bindings, now_in, member.tags),
            )
        )

    def link(self, member: Member, menu: str | None) -> None:
        """A journey's `richmenu:` step: this member, this menu, now."""
        if self.queue is None or not _following(member):
            return
        user = member.identifiers.get("line_user_id")
        if user is not None:
            self._add(LinkChange(member.member_id, user, menu))

    def _add(self, change: LinkChange | None) -> None:
        if change is None:
            return
        if self._buffer is None:
            self._send([change])
        else:
            self._buffer.append(change)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Links of this block go out together when it ends, 500 users a message."""
        if self._buffer is not None:
            yield
            return
        self._buffer = []
        try:
            yield
        finally:
            changes, self._buffer = self._buffer, None
            if changes:
                self._send(changes)

    def _send(self, changes: list[LinkChange]) -> None:
        if self.queue is None:
            return
        messages = pack(changes)
        self.queue.send_menu_links(messages)
        self.queued += len(messages)
