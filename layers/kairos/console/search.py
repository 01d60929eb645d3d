"""Find members from one search box: any identifier staff can paste or type, or the
start of a name (`GET /console/api/members?q=`), and the newest members when the box is
empty.

What `q` can be, tried together (each costs nothing extra, see `SearchIndex`):
- a member id (`m-…`), a LINE user id (`U` and 32 hex digits), an external id: as typed;
- an email address, any case;
- a phone number as people write it in Taiwan: `0912-345-678`, `0912345678`,
  `+886 912 345 678`, `886912345678`, `(02) 2345-6789`, full-width digits too; a
  national number (leading 0) is read in the brand's market (kairos.models.phones);
- the start of a name: `陳` finds `陳小美`, over the profile's name and the LINE display
  name, case-insensitive and NFKC (kairos.models.names).
Exact identifiers come first, then name matches in name order. The cursor pages the
name matches only (exact ones are all on the first page).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kairos.members.service import InvalidRequest
from kairos.models.events import email_address, printable
from kairos.models.names import name_key
from kairos.models.phones import taiwan_phone

Identifier = tuple[str, str]
"""(kind, value): `("phone", "+886912345678")`."""

MAX_QUERY_CHARS = 256
MAX_LIMIT = 200


@dataclass(frozen=True)
class SearchPage:
    member_ids: list[str]
    next: str | None
    """The cursor of the next page, None at the end."""


class SearchIndex(Protocol):
    """What search reads (kairos.store.search_index is the DynamoDB adapter)."""

    def holders(self, identifiers: Sequence[Identifier], member_ids: Sequence[str]) -> list[str]:
        """The members owning these identifiers, then those of `member_ids` that exist,
        each once, in the order asked (one batch read)."""
        ...

    def name_prefix(
        self, prefix: str, *, limit: int, after: str | None
    ) -> tuple[list[str], str | None]:
        """Members with a name key starting with `prefix` (a name key itself), in name
        order after the position `after`; and the position to continue from."""
        ...

    def newest(self, *, limit: int, before: str | None) -> tuple[list[str], str | None]:
        """Members newest joined first, older than the position `before`; and the
        position to continue from."""
        ...


def search(index: SearchIndex, q: str, *, limit: int = 50, cursor: str | None = None) -> SearchPage:
    """Members matching `q` (see the module): exact identifiers, then name matches."""
    limit = _limit(limit)
    text = unicodedata.normalize("NFKC", q or "").strip()[:MAX_QUERY_CHARS]
    if not text:
        return newest(index, limit=limit, cursor=cursor)
    exact: list[str] = []
    if cursor is None:
        member_ids, identifiers = candidates(text)
        exact = index.holders(identifiers, member_ids)[:limit]
    prefix = name_key(text)
    if prefix is None:
        return SearchPage(exact, None)
    after = _decode(cursor, prefix) if cursor else None
    room = limit - len(exact)
    if room <= 0:
        # The first page is all exact matches: the names start on the next one.
        return SearchPage(exact, _encode(_START))
    found, position = index.name_prefix(prefix, limit=room, after=after)
    # A member found by both its names, or by id and name, is listed once.
    page = list(dict.fromkeys([*exact, *found]))
    return SearchPage(page, _encode(position) if position else None)


def newest(index: SearchIndex, *, limit: int = 50, cursor: str | None = None) -> SearchPage:
    """The console's default list: members newest joined first."""
    before = _decode(cursor, None) if cursor else None
    found, position = index.newest(limit=_limit(limit), before=before)
    return SearchPage(found, _encode(position) if position else None)


def candidates(text: str) -> tuple[list[str], list[Identifier]]:
    """The member ids and identifiers `text` could be, strongest first."""
    try:
        literal = printable(text)
    except ValueError:
        return [], [(kind, value) for kind, value in _contact(text)]
    found: list[Identifier] = [("line_user_id", literal), ("external_id", literal)]
    found += _contact(literal)
    return [literal], list(dict.fromkeys(found))


def _contact(text: str) -> list[Identifier]:
    found: list[Identifier] = []
    if "@" in text:
        with contextlib.suppress(ValueError):
            found.append(("email", email_address(text)))
    phone = taiwan_phone(text)
    if phone is not None:
        found.append(("phone", phone))
    return found


_START = ""
"""The position before the first name match."""


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _encode(position: str) -> str:
    return base64.urlsafe_b64encode(("p:" + position).encode()).decode().rstrip("=")


def _decode(cursor: str, prefix: str | None) -> str | None:
    """The position a cursor holds; one made for another search is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("cursor is not one this search returned") from None
    if not raw.startswith("p:"):
        raise InvalidRequest("cursor is not one this search returned")
    position = raw[2:]
    if prefix is not None and position and not position.startswith(prefix):
        raise InvalidRequest("cursor belongs to another search")
    return position or None
