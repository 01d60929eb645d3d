"""Members CSV rows as events, for `kairos members import` and the console's import: a
column map (`--map email=E-mail,…`) and a
per-row report, so one bad row does not stop an import of thousands.

Each row becomes a `profile.updated` event (identifiers, a phone as people write it in
Taiwan read by kairos.models.phones; attributes; `consent_<channel>` columns) and one
`tag.added` per `tags` entry (`;`-separated), as
`kairos_dev.local.simulator.load_members` reads them; a row that does not validate is
set aside with its line, the file's column to blame and the reason, and written to a
reject file with those three added, ready to fix and import again. Event ids are the
file name and line, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from kairos.members.export import unsafe_cell
from kairos.models.events import IDENTIFIER_KINDS, CanonicalEvent
from kairos.models.phones import taiwan_phone

REJECT_COLUMNS = ("_line", "_column", "_reason")


class BadMap(ValueError):
    pass


def parse_map(text: str | None) -> dict[str, str]:
    """`email=E-mail,phone=Mobile` → {"email": "E-mail", "phone": "Mobile"} (Kairos
    column = the file's column)."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise BadMap(f"--map {part!r}: write KAIROS_COLUMN=FILE_COLUMN")
        mapping[ours.strip()] = theirs.strip()
    return mapping


@dataclass(frozen=True)
class Reject:
    line: int
    column: str
    reason: str
    row: dict[str, str]


@dataclass
class ImportBatch:
    events: list[CanonicalEvent] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0
    header: list[str] = field(default_factory=list)


def row_events(row: dict[str, str], name: str, number: int, at: datetime) -> list[CanonicalEvent]:
    # An export protected cells a spreadsheet would run as formulas: take that off.
    row = {k: unsafe_cell(v) if isinstance(v, str) else v for k, v in row.items()}
    member = {k: row[k].strip() for k in IDENTIFIER_KINDS if (row.get(k) or "").strip()}
    if "phone" in member:
        # A spreadsheet holds phones as people write them; one that cannot be read is
        # left as written, for validation to set the row aside with its reason.
        member["phone"] = taiwan_phone(member["phone"]) or member["phone"]
    data: dict[str, Any] = {}
    consent: dict[str, bool] = {}
    for key, value in row.items():
        if key in IDENTIFIER_KINDS or key == "tags" or value is None or not value.strip():
            continue
        if key.startswith("consent_"):
            consent[key.removeprefix("consent_")] = value.strip().lower() in ("1", "true", "yes")
        else:
            data[key] = value.strip()
    if consent:
        data["consent"] = consent
    when = at.isoformat()
    events = [
        CanonicalEvent.model_validate(
            {"id": f"import-{name}-{number}", "type": "profile.updated", "time": when,
             "member": member, "data": data}
        )
    ]  # fmt: skip
    for tag in [t.strip() for t in (row.get("tags") or "").split(";") if t.strip()]:
        events.append(
            CanonicalEvent.model_validate(
                {"id": f"import-{name}-{number}-{tag}", "type": "tag.added", "time": when,
                 "member": member, "data": {"tag": tag}}
            )
        )  # fmt: skip
    return events


def _blame(exc: ValidationError, theirs: dict[str, str]) -> tuple[str, str]:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    if loc[:1] == ["member"]:
        ours = loc[1] if len(loc) > 1 else "|".join(IDENTIFIER_KINDS)
    elif loc[:1] == ["data"] and len(loc) > 1:
        ours = (
            "tags"
            if loc[1] == "tag"
            else f"consent_{loc[2]}"
            if loc[1] == "consent" and len(loc) > 2
            else loc[1]
        )
    else:
        ours = ".".join(loc) or "row"
    return theirs.get(ours, ours), str(first["msg"])


def read_rows(
    lines: Iterable[str],
    name: str,
    at: datetime,
    mapping: dict[str, str] | None = None,
    header: list[str] | None = None,
    first_line: int = 2,
) -> ImportBatch:
    """Every row's events, and the rows set aside; `mapping` renames the file's columns.
        `header` is given when `lines` continue a file whose header came before (a chunk of
        it), `first_line` the number of the first record in `lines` (the header is 1, records
    count from 2: the event ids are `import-<file>-<number>`)."""
    mapping = mapping or {}
    renamed = {file_column: ours for ours, file_column in mapping.items()}
    batch = ImportBatch()
    reader = csv.DictReader(lines, fieldnames=header)
    batch.header = list(reader.fieldnames or [])
    missing = [c for c in mapping.values() if c not in batch.header]
    if missing:
        raise BadMap(f"--map names columns the file does not have: {', '.join(missing)}")
    for number, raw in enumerate(reader, start=first_line):
        batch.rows += 1
        row = {renamed.get(k, k): (v or "") for k, v in raw.items() if k is not None}
        try:
            batch.events.extend(row_events(row, name, number, at))
        except ValidationError as exc:
            column, reason = _blame(exc, mapping)
            original = {k: (v or "") for k, v in raw.items() if k is not None}
            batch.rejects.append(Reject(number, column, reason, original))
    return batch
