"""Members as CSV, read from the tag or segment index (never a scan): the rows
`kairos members export` writes, and the admin API's export a page at a time.

One row per member: `member_id`, the identifiers, profile attributes (`consent_<channel>`
for consents), `tags` (';'-separated), `order_count`, `total_spent`. The CLI writes every
attribute any exported member has (one file, so it knows them all); the API's columns
are fixed (`API_COLUMNS`) so the pages of one export have the same header and
concatenate. A response stays under Lambda's 6 MB response limit (API Gateway's is
10 MB): rows are added until `limit` members or `MAX_RESPONSE_BYTES`, measured as the
JSON-escaped text Lambda returns, then the answer carries the cursor of the rest.

Cells are written safe to open in a spreadsheet: a value a spreadsheet would run as a
formula (starting `=`, `@`, a tab or carriage return, or `+`/`-` when it is not a
number such as a phone) gets a leading `'` (OWASP's CSV injection advice); `kairos
members import` takes that `'` off again, so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from kairos.models.member import Member

IDENTIFIER_COLUMNS: tuple[str, ...] = ("member_id", "line_user_id", "email", "phone", "external_id")
TOTAL_COLUMNS: tuple[str, ...] = ("tags", "order_count", "total_spent")
PROFILE_COLUMNS: tuple[str, ...] = (
    "name", "gender", "birthday", "region", "join_source", "joined_at", "line_following",
    "consent_line", "consent_email", "consent_sms",
)  # fmt: skip
"""The stored attributes of SPEC §2 (custom ones are in `kairos members export`)."""
API_COLUMNS: tuple[str, ...] = (*IDENTIFIER_COLUMNS, *PROFILE_COLUMNS, *TOTAL_COLUMNS)
MAX_RESPONSE_BYTES = 5_000_000
"""Of CSV as it travels in the Lambda response (JSON-escaped): 1 MB under its 6 MB."""
CHUNK = 100
"""Index entries read at a time: one BatchGetItem of their profiles."""


_FORMULA_START = ("=", "@", "\t", "\r", "+", "-")
_NUMBER = re.compile(r"[+-]?[\d .()/-]*\d[\d .()/-]*")
"""A phone (`+886 912-345-678`), an amount (`-120`), a date: data, not a formula."""


def safe_cell(value: str) -> str:
    """`value` as a spreadsheet shows it rather than runs it."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """The value `safe_cell` protected (import reads exports back)."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def member_row(member: Member) -> dict[str, str]:
    """A member's CSV row (every attribute it has; columns choose what is written)."""
    row: dict[str, str] = {"member_id": member.member_id}
    row.update({k: safe_cell(v) for k, v in member.identifiers.items()})
    for key, value in member.profile.items():
        if key in IDENTIFIER_COLUMNS or isinstance(value, dict | list):
            continue
        row[key] = safe_cell(str(value))
    for channel, agreed in (member.profile.get("consent") or {}).items():
        row[f"consent_{channel}"] = "true" if agreed else "false"
    row["tags"] = safe_cell(";".join(member.tags))
    row["order_count"] = str(member.stats.order_count)
    row["total_spent"] = str(member.stats.total_spent)
    return row


def attribute_columns(rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Every column of these rows, identifiers first and totals last (the CLI's file)."""
    fixed = {*IDENTIFIER_COLUMNS, *TOTAL_COLUMNS}
    attributes = sorted({k for row in rows for k in row if k not in fixed})
    return [*IDENTIFIER_COLUMNS, *attributes, *TOTAL_COLUMNS]


def csv_line(row: Mapping[str, str], columns: Iterable[str]) -> str:
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore").writerow(row)
    return out.getvalue()


def csv_header(columns: Iterable[str]) -> str:
    return csv_line({c: c for c in columns}, columns)


class MemberIndex(Protocol):
    """The tag and segment indexes, a page of member ids at a time, and profiles."""

    def tagged(
        self, tag: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]: ...

    def segmented(
        self, segment_id: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]: ...

    def profiles(self, member_ids: list[str]) -> list[Member]: ...


@dataclass(frozen=True)
class ExportPage:
    csv: str
    members: int
    next: str | None
    """The cursor of the rest, None when this page is the end."""


def export_page(
    index: MemberIndex,
    kind: str,
    name: str,
    limit: int,
    cursor: str | None,
    max_bytes: int = MAX_RESPONSE_BYTES,
    attributes: Iterable[str] = (),
) -> ExportPage:
    """Up to `limit` members of tag or segment `name` (`kind`: "tag" or "segment") as CSV
    with its header, from `cursor` on; stops early at `max_bytes`. Index entries whose
    profile is gone (a member erased meanwhile) are skipped. `attributes`: custom profile
    attributes to add as columns (before the totals), the same on every page."""
    page = index.tagged if kind == "tag" else index.segmented
    extra = [a for a in dict.fromkeys(attributes) if a not in API_COLUMNS]
    columns = (*API_COLUMNS[: -len(TOTAL_COLUMNS)], *extra, *TOTAL_COLUMNS)
    text = [csv_header(columns)]
    size = _escaped(text[0])
    count = 0
    while count < limit:
        ids, following = page(name, min(CHUNK, limit - count), cursor)
        profiles = {m.member_id: m for m in index.profiles(ids)}
        for position, member_id in enumerate(ids):
            member = profiles.get(member_id)
            if member is None:
                continue
            line = csv_line(member_row(member), columns)
            if count and size + _escaped(line) > max_bytes:
                # Full: the rest starts at this member (the index read again up to it).
                rest = page(name, position, cursor)[1] if position else cursor
                return ExportPage("".join(text), count, rest)
            text.append(line)
            size += _escaped(line)
            count += 1
        cursor = following
        if cursor is None:
            break
    return ExportPage("".join(text), count, cursor)


def _escaped(text: str) -> int:
    """Bytes of `text` inside Lambda's JSON response (non-ASCII as \\uXXXX escapes)."""
    return len(json.dumps(text)) - 2
