"""The console's member lists: who is signed in (`me`), the members list with its
filters, and the same list as CSV (export, audited).

Where a list comes from (never a scan):
- `?q=`: kairos.console.search (any identifier as people type it, or a name prefix),
  paged by its cursor
- `?tag=` / `?segment=`: the tag and segment indexes (kairos.store.member_index), paged
- neither: the newest members (kairos.console.search's `newest`, the joined index)

`lifecycle=` and `rfm=` filter each page's members, derived at the request's time in
the brand's zone: a filtered page may hold fewer than `limit` members (even none) and
still have a `next`. The profiles of a page come in one BatchGetItem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kairos.console.models import BrandInfo, Can, Me, MemberList, MemberRow
from kairos.console.request import Principal
from kairos.engine.derived import RFM_SEGMENTS, member_context
from kairos.ingest.routes import allows
from kairos.members.export import ExportPage, MemberIndex, export_page
from kairos.members.service import LOOKUP_KINDS, InvalidRequest, identifier
from kairos.models.member import Member
from kairos.models.settings import Settings

MAX_LIMIT = 100
MAX_EXPORT = 5000
SOURCES = ("q", "tag", "segment")


def me(principal: Principal, settings: Settings, brand: str) -> Me:
    return Me(
        username=principal.username,
        email=principal.email,
        role=principal.role,
        groups=list(principal.groups),
        brand=BrandInfo(name=brand, zone=settings.timezone),
        can=Can(
            journeys=allows(principal.groups, "marketer"),
            export=allows(principal.groups, "marketer"),
            import_=allows(principal.groups, "marketer"),
            erase=allows(principal.groups, "admin"),
            merge=allows(principal.groups, "admin"),
            audit=allows(principal.groups, "admin"),
        ),
    )


class ListStore(MemberIndex, Protocol):
    def get(self, member_id: str) -> Member | None: ...

    def find(self, kind: str, value: str) -> str | None: ...


@dataclass(frozen=True)
class Filters:
    """A members list's query, checked (a 400 names the field)."""

    source: str | None
    """`q`, `tag`, `segment` or None (the newest members)."""
    value: str
    lifecycle: str | None
    rfm: str | None
    limit: int
    cursor: str | None

    def derived(self) -> bool:
        return self.lifecycle is not None or self.rfm is not None


def parse_filters(
    query: Mapping[str, str], settings: Settings, segments: Callable[[], list[str]],
    *, default_limit: int = 25, most: int = MAX_LIMIT,
) -> Filters:  # fmt: skip
    given = [k for k in SOURCES if query.get(k)]
    if len(given) > 1:
        raise InvalidRequest(f"{given[1]}: give one of q, tag or segment, not both")
    source = given[0] if given else None
    value = query[source].strip() if source else ""
    if source and not value:
        raise InvalidRequest(f"{source}: give a value")
    if len(value) > 200:
        raise InvalidRequest(f"{source}: at most 200 characters")
    if source == "segment":
        known = segments()
        if value not in known:
            raise InvalidRequest(
                f"segment: no segment {value!r} (known: {', '.join(sorted(known)) or 'none'})"
            )
    stages = [s.stage for s in settings.lifecycle]
    lifecycle = query.get("lifecycle") or None
    if lifecycle is not None and lifecycle not in stages:
        raise InvalidRequest(f"lifecycle: one of {', '.join(stages)}")
    rfm = query.get("rfm") or None
    names = [name for name, _ in RFM_SEGMENTS]
    if rfm is not None and rfm not in names:
        raise InvalidRequest(f"rfm: one of {', '.join(names)}")
    raw = query.get("limit") or str(default_limit)
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise InvalidRequest(f"limit: a whole number from 1 to {most}")
    cursor = query.get("cursor") or None
    if cursor is not None and len(cursor) > 1000:
        raise InvalidRequest("cursor: the `next` of a previous page")
    return Filters(source, value, lifecycle, rfm, int(raw), cursor)


class ExactIndex:
    """kairos.console.search's index over the member store alone: exact identifiers and
    member ids (aliases, GetItem each), no name prefixes and no newest list. What the
    console uses where the search index is not wired."""

    def __init__(self, store: ListStore) -> None:
        self.store = store

    def holders(
        self, identifiers: Sequence[tuple[str, str]], member_ids: Sequence[str]
    ) -> list[str]:
        found = [m for kind, value in identifiers if (m := self.store.find(kind, value))]
        found += [m for m in member_ids if self.store.get(m) is not None]
        return list(dict.fromkeys(found))

    def name_prefix(
        self, prefix: str, *, limit: int, after: str | None
    ) -> tuple[list[str], str | None]:
        return [], None

    def newest(self, *, limit: int, before: str | None) -> tuple[list[str], str | None]:
        return [], None


SEARCH_READS = ("holders", "name_prefix", "newest")


def search_index(store: ListStore) -> Any:
    """The member store itself when it has the search reads (kairos.store.search_index,
    a mixin of the repository), else exact lookups over it."""
    if all(hasattr(store, name) for name in SEARCH_READS):
        return store
    return ExactIndex(store)


class Found(Protocol):
    """A page of search results (kairos.console.search.SearchPage)."""

    @property
    def member_ids(self) -> list[str]: ...

    @property
    def next(self) -> str | None: ...


Search = Callable[..., Found]


@dataclass(frozen=True)
class ExactPage:
    member_ids: list[str]
    next: str | None


def exact_search(index: ExactIndex, q: str, *, limit: int, cursor: str | None) -> Found:
    """Exact lookups only, for a layer without kairos.console.search."""
    typed = [q]
    digits = q.translate(str.maketrans("", "", " -()"))
    if digits.isdigit() and digits.startswith("0") and 9 <= len(digits) <= 10:
        typed.append("+886" + digits[1:])  # a Taiwan number as people write it
    wanted: list[tuple[str, str]] = []
    for kind in LOOKUP_KINDS:
        for value in typed:
            try:
                wanted.append(identifier(kind, value))
            except InvalidRequest:
                continue
    return ExactPage(index.holders(wanted, [q] if q else [])[:limit], None)


def the_search() -> Search:
    """kairos.console.search's `search`, or exact lookups where it is not installed."""
    try:
        from kairos.console.search import search
    except ImportError:
        return exact_search
    found: Search = search
    return found


def matches(member: Member, f: Filters, settings: Settings, now: datetime) -> MemberRow | None:
    """The member's row when it passes the derived filters."""
    stats = member_context(member, settings, now)["stats"]
    if f.lifecycle is not None and stats["lifecycle"] != f.lifecycle:
        return None
    if f.rfm is not None and stats["rfm"]["segment"] != f.rfm:
        return None
    return member_row(member, stats)


def member_row(member: Member, stats: Mapping[str, Any]) -> MemberRow:
    p = member.profile

    def text(name: str) -> str | None:
        value = p.get(name) or member.identifiers.get(name)
        return None if value is None else str(value)

    return MemberRow(
        member_id=member.member_id,
        name=text("name"),
        line_display_name=text("line_display_name"),
        email=text("email"),
        phone=text("phone"),
        line_user_id=text("line_user_id"),
        external_id=text("external_id"),
        tags=list(member.tags),
        lifecycle=stats["lifecycle"],
        rfm_segment=stats["rfm"]["segment"],
        order_count=member.stats.order_count,
        total_spent=member.stats.total_spent,
        last_order_at=member.stats.last_order_at,
        joined_at=text("joined_at"),
    )


def page_ids(
    store: ListStore, f: Filters, search: Search, index: Any | None
) -> tuple[list[str], str | None]:
    """One page of member ids from the list's source, and the cursor of the next."""
    if f.source == "tag":
        return store.tagged(f.value, f.limit, f.cursor)
    if f.source == "segment":
        return store.segmented(f.value, f.limit, f.cursor)
    # A search, or (empty) the newest members.
    page = search(index or search_index(store), f.value, limit=f.limit, cursor=f.cursor)
    return list(page.member_ids), page.next


def members_list(
    store: ListStore,
    f: Filters,
    settings: Settings,
    now: datetime,
    search: Search,
    index: Any | None = None,
) -> MemberList:
    """`index`: the search index (kairos.console.search.SearchIndex); without it, exact
    identifiers only and no default list."""
    ids, cursor = page_ids(store, f, search, index)
    profiles = {m.member_id: m for m in store.profiles(ids)} if ids else {}
    rows = [
        row
        for member_id in ids
        if (member := profiles.get(member_id)) is not None
        and (row := matches(member, f, settings, now)) is not None
    ]
    return MemberList(items=rows, next=cursor)


class _Derived:
    """The list's source as the export's index (`tagged` stands for whichever source),
    profiles dropped when they fail the derived filters."""

    def __init__(
        self, store: ListStore, f: Filters, settings: Settings, now: datetime,
        search: Search, index: Any | None,
    ) -> None:  # fmt: skip
        self.store, self.f, self.settings, self.now = store, f, settings, now
        self.search, self.index = search, index

    def tagged(
        self, tag: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        f = Filters(self.f.source, self.f.value, None, None, limit, cursor)
        return page_ids(self.store, f, self.search, self.index)

    segmented = tagged

    def profiles(self, member_ids: list[str]) -> list[Member]:
        found = self.store.profiles(member_ids)
        if not self.f.derived():
            return found
        return [m for m in found if matches(m, self.f, self.settings, self.now) is not None]


def export(
    store: ListStore,
    f: Filters,
    settings: Settings,
    now: datetime,
    search: Search,
    index: Any | None = None,
) -> ExportPage:
    """The list as CSV, the admin API's columns (kairos.members.export), `f.limit`
    members a page at most; the next page's cursor in the answer."""
    source = _Derived(store, f, settings, now, search, index)
    return export_page(source, "tag", f.value, f.limit, f.cursor)


def filter_detail(f: Filters, rows: int) -> dict[str, Any]:
    """What the audit trail keeps of an export: the filters (a search's text is left
    out: it is often a person's email or phone) and the rows sent."""
    detail: dict[str, Any] = {"rows": rows, "first_page": f.cursor is None}
    if f.source == "q":
        detail["search"] = True
    elif f.source:
        detail[f.source] = f.value
    for name in ("lifecycle", "rfm"):
        if getattr(f, name):
            detail[name] = getattr(f, name)
    return detail
