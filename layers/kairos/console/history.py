"""A member's interaction history as the console shows it: timeline entries, newest
first, each put in one of the kinds staff filter by (`?kind=`):

- line: `line.*` (follow, unfollow, message, postback)
- orders: `order.*`
- messages: `delivery.*` (sent, failed, capped, unreachable, …, each naming its journey,
  step, channel and status), `journey.held_out`, and what the mail service said of an
  email afterwards (`email.delivered`, `email.bounced`, `email.complained`)
- opens: `email.opened`; clicks: `message.clicked`, `email.clicked`
- staff: what a person did: entries with `data.by` (tags, notes, merges from the
  console or the admin API), `member.note_added`, `member.merged`

Everything else (profile updates, coupons, journey ends, …) is `other` and shows only
unfiltered. Reads are bounded (kairos.store.history): a page never loads the whole
history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast, get_args

from kairos.console.models import HistoryEntry, HistoryKind, HistoryPage
from kairos.members.service import InvalidRequest
from kairos.store.history import HistoryReads, KindFilter

FILTERS: dict[str, KindFilter] = {
    "line": KindFilter(prefixes=("line.",)),
    "orders": KindFilter(prefixes=("order.",)),
    "messages": KindFilter(
        prefixes=("delivery.",),
        kinds=("journey.held_out", "email.delivered", "email.bounced", "email.complained"),
    ),
    "opens": KindFilter(kinds=("email.opened",)),
    "clicks": KindFilter(kinds=("message.clicked", "email.clicked")),
    "staff": KindFilter(kinds=("member.note_added", "member.merged"), by=True),
}
STAFF_TYPES = frozenset({"member.note_added", "member.merged"})
MAX_LIMIT = 100
SURFACED = ("journey", "step", "channel", "status", "by")
"""Data fields every entry names at the top level when it has them."""


def kind_of(entry_type: str, data: Mapping[str, Any]) -> HistoryKind:
    """The filter an entry belongs to (staff first: a tag a person added is theirs)."""
    if "by" in data or entry_type in STAFF_TYPES:
        return "staff"
    for kind, only in FILTERS.items():
        if kind != "staff" and only.matches(entry_type):
            return cast(HistoryKind, kind)  # FILTERS' keys are kinds
    return "other"


def entry_of(item: Mapping[str, Any]) -> HistoryEntry:
    """One timeline entry for the console (data kept as data, whatever it says)."""
    data = dict(item.get("data") or {})
    entry_type = str(item["kind"])
    surfaced = {k: str(data.pop(k)) for k in SURFACED if data.get(k) is not None}
    if entry_type.startswith("delivery.") and "status" not in surfaced:
        surfaced["status"] = entry_type.removeprefix("delivery.")
    return HistoryEntry(
        time=item["time"],
        kind=kind_of(entry_type, {**data, **surfaced}),
        type=entry_type,
        data=data,
        **surfaced,
    )


def parse_kind(raw: str | None) -> KindFilter | None:
    if not raw:
        return None
    found = FILTERS.get(raw)
    if found is None:
        known = ", ".join(k for k in get_args(HistoryKind) if k in FILTERS)
        raise InvalidRequest(f"kind: one of {known}")
    return found


def parse_limit(raw: str | None, default: int, most: int = MAX_LIMIT) -> int:
    text = raw if raw is not None else str(default)
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise InvalidRequest(f"limit: a whole number from 1 to {most}")
    return int(text)


def parse_before(raw: str | None) -> str | None:
    """A history cursor is a timeline sort key (`TL#…`); anything else is a 400."""
    if not raw:
        return None
    if not raw.startswith("TL#") or len(raw) > 300:
        raise InvalidRequest("before: the `next` of a previous page")
    return raw


def history_page(
    reads: HistoryReads,
    member_id: str,
    query: Mapping[str, str],
    default_limit: int = 25,
) -> HistoryPage:
    """`?kind=&before=&limit=`: a page of the member's history, newest first."""
    only = parse_kind(query.get("kind"))
    limit = parse_limit(query.get("limit"), default_limit)
    before = parse_before(query.get("before"))
    items, cursor = reads.page(member_id, limit, before, only)
    return HistoryPage(items=[entry_of(i) for i in items], next=cursor)
