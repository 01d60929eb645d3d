"""Members CSV files for `kairos members import`: read with the layer's row reader
(kairos.members.import_rows, shared with the console's import), rejects written to a
file ready to fix and import again."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from kairos.members.import_rows import (
    REJECT_COLUMNS,
    BadMap,
    ImportBatch,
    Reject,
    parse_map,
    read_rows,
    row_events,
)

__all__ = [
    "REJECT_COLUMNS", "BadMap", "ImportBatch", "Reject", "parse_map", "read_members",
    "row_events", "write_rejects",
]  # fmt: skip


def read_members(path: Path, at: datetime, mapping: dict[str, str] | None = None) -> ImportBatch:
    """Every row's events, and the rows set aside; `mapping` renames the file's columns."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return read_rows(handle, path.name, at, mapping)


def write_rejects(path: Path, header: list[str], rejects: list[Reject]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*header, *REJECT_COLUMNS])
        writer.writeheader()
        for reject in rejects:
            writer.writerow(
                {**reject.row, "_line": reject.line, "_column": reject.column,
                 "_reason": reject.reason}
            )  # fmt: skip
