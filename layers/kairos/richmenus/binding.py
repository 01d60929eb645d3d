"""Which rich menu a member should see: the first `kairos.yaml: richmenus:` binding that
matches (a segment the member is in, a tag the member has), else none of their own —
the channel's default menu (the binding without a condition, set as LINE's default by
`kairos richmenus deploy`) shows. Pure: the evaluator asks it before and after each
member change and links or unlinks only when the answer changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from kairos.models.richmenu import Binding


def bound_menu(
    bindings: Sequence[Binding], segments: Collection[str], tags: Collection[str]
) -> str | None:
    """The menu linked to this member, or None: the channel's default applies."""
    for binding in bindings:
        if binding.is_default:
            return None
        if binding.segment is not None and binding.segment in segments:
            return binding.menu
        if binding.tag is not None and binding.tag in tags:
            return binding.menu
    return None


def default_menu(bindings: Sequence[Binding]) -> str | None:
    return next((b.menu for b in bindings if b.is_default), None)


@dataclass(frozen=True)
class LinkChange:
    """Link `user_id` to `menu` (a project menu id), or unlink it (`menu` None)."""

    member_id: str
    user_id: str
    menu: str | None


def link_change(
    member_id: str,
    user_id: str | None,
    following: bool,
    before: str | None,
    after: str | None,
    *,
    refollowed: bool = False,
) -> LinkChange | None:
    """The link to make after a member change, if any. A member who blocked the account
    is left alone (LINE would refuse, and a blocked friend sees no menu); one who comes
    back gets their menu again (`refollowed`)."""
    if user_id is None or not following:
        return None
    if before == after and not (refollowed and after is not None):
        return None
    return LinkChange(member_id, user_id, after)
