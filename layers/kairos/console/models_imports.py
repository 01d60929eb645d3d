"""What the console's import API answers (docs/console-api.md), as pydantic models;
kairos.console.schema puts them in the front end's JSON Schema."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel

from kairos.console.models import ConsoleModel

Encoding = Literal["utf-8", "utf-8-sig", "big5"]


class RowProblem(ConsoleModel):
    line: int
    """The record's number in the file (the header is 1)."""
    column: str
    """The file's column to blame."""
    reason: str


class PreviewRow(ConsoleModel):
    line: int
    values: dict[str, str]
    """The file's columns as they are (text, never markup)."""


class ImportPreview(ConsoleModel):
    encoding: Encoding
    columns: list[str]
    mapping: dict[str, str]
    """Kairos column → the file's column: the one asked for (`?mapping=`), else the
    suggested one."""
    rows: list[PreviewRow]
    problems: list[RowProblem]


class ImportStarted(ConsoleModel):
    import_id: str


class ChunkResult(ConsoleModel):
    chunk: int
    applied: int
    """Rows applied (a row already imported before changes nothing, and counts here)."""
    rejected: int
    repeated: bool
    """True when this chunk had been applied before: nothing was applied again."""


class ImportProgress(ConsoleModel):
    import_id: str
    filename: str
    encoding: Encoding
    by: str
    started_at: AwareDatetime
    state: Literal["started", "importing"]
    chunks_done: int
    rows_applied: int
    rows_rejected: int


MODELS: tuple[type[BaseModel], ...] = (
    ImportPreview, ImportStarted, ChunkResult, ImportProgress, RowProblem,
)  # fmt: skip
"""The imports family's answers (kairos.console.schema collects them)."""
