"""The console's members import: the browser sends the file's first bytes for a
preview, then the whole file in chunks of whole records; each chunk's rows go through
the same row reader (kairos.members.import_rows) and the same ingest as `kairos members
import`, with the same event ids (`import-<file name>-<record number>`), so importing
a file again, from the console or the command line, changes nothing.

Encodings: UTF-8 with or without a byte order mark, and Big5 (what Excel in Taiwan
writes, read as its Windows superset cp950). Anything else is refused, naming the
problem: guessing a Latin-1 or Shift-JIS file as Big5 would import garbled names.

Chunks apply once and in order (kairos.store.imports): chunk 0 carries the header, a
retried chunk answers what it did the first time. Each is audited.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairos.console.journeys import NotFound
from kairos.console.models_imports import (
    ChunkResult,
    Encoding,
    ImportPreview,
    ImportProgress,
    ImportStarted,
    PreviewRow,
    RowProblem,
)
from kairos.ingest.service import ingest
from kairos.members.export import safe_cell
from kairos.members.import_rows import REJECT_COLUMNS, BadMap, Reject, parse_map, read_rows
from kairos.members.service import InvalidRequest
from kairos.store.imports import REJECTS_PER_CHUNK, ImportStore

PREVIEW_BYTES = 256 * 1024
PREVIEW_ROWS = 20
REJECT_BYTES = 300_000
BOM = codecs.BOM_UTF8
_CODECS: dict[str, str] = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "big5": "cp950"}
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "電子郵件", "信箱", "電子信箱"),
    "phone": ("phone", "mobile", "tel", "手機", "電話", "行動電話", "手機號碼"),
    "line_user_id": ("line_user_id", "line user id", "line id", "line"),
    "external_id": ("external_id", "external id", "customer id", "會員編號", "客戶編號"),
    "name": ("name", "姓名", "名字", "會員姓名"),
    "tags": ("tags", "tag", "標籤"),
    "city": ("city", "城市", "縣市"),
    "birthday": ("birthday", "生日"),
}
"""Kairos column → how files commonly name it (compared case-insensitively)."""


def _plausible_big5(text: str) -> bool:
    """Big5 decodes many byte soups; a real Taiwanese file's non-ASCII characters are
    Chinese, Bopomofo, CJK punctuation or full-width forms."""
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        if not (
            0x4E00 <= code <= 0x9FFF
            or 0x3000 <= code <= 0x312F
            or 0xFF00 <= code <= 0xFFEF
            or 0x2010 <= code <= 0x2642
            or 0x00A7 <= code <= 0x00F7
        ):
            return False
    return True


def detect_encoding(data: bytes) -> Encoding:
    """The file's encoding from its first bytes (which may end inside a character)."""
    if data.startswith(BOM):
        _decode(data, "utf-8-sig", final=False)
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = codecs.getincrementaldecoder("cp950")().decode(data, final=False)
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"the file is neither UTF-8 nor Big5 (byte {exc.start} cannot be read): save it "
            "from Excel as 'CSV UTF-8' and import it again"
        ) from None
    if not _plausible_big5(text):
        raise InvalidRequest(
            "the file looks like neither UTF-8 nor Big5 (a Latin-1 or Shift-JIS file?): "
            "save it from Excel as 'CSV UTF-8' and import it again"
        )
    return "big5"


def _decode(data: bytes, encoding: str, final: bool = True) -> str:
    if encoding not in _CODECS:
        raise InvalidRequest(f"encoding {encoding!r}: one of {', '.join(_CODECS)}")
    try:
        return codecs.getincrementaldecoder(_CODECS[encoding])().decode(data, final=final)
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"byte {exc.start} of this part of the file is not {encoding}: was the file "
            "saved again in another encoding?"
        ) from None


def suggest_mapping(columns: list[str]) -> dict[str, str]:
    """Kairos column → the file's column, for the columns whose names say what they are
    (a column already named as Kairos names it needs no entry)."""
    found: dict[str, str] = {}
    for ours, names in COLUMN_NAMES.items():
        for column in columns:
            if column.strip().lower() in names and column != ours and ours not in columns:
                found.setdefault(ours, column)
                break
    return found


def _whole_records(text: str, final: bool) -> str:
    """The text up to its last complete record (a preview's head may end mid-record)."""
    if final:
        return text
    cut = text.rfind("\n")
    return text[: cut + 1] if cut >= 0 else text


def preview(head: bytes, query: Mapping[str, str], now: datetime) -> ImportPreview:
    if not head:
        raise InvalidRequest("send the file's first bytes (at most 256 KB)")
    if len(head) > PREVIEW_BYTES:
        raise InvalidRequest(f"the preview takes at most {PREVIEW_BYTES} bytes")
    encoding = detect_encoding(head)
    text = _whole_records(_decode(head, encoding, final=False), final=False)
    columns = next(csv.reader(io.StringIO(text)), [])
    if not columns:
        raise InvalidRequest("the file has no header row")
    try:
        mapping = parse_map(query.get("mapping")) or suggest_mapping(columns)
    except BadMap as exc:
        raise InvalidRequest(str(exc).replace("--map", "mapping")) from None
    records = list(csv.DictReader(io.StringIO(text)))[:PREVIEW_ROWS]
    lines = io.StringIO()
    writer = csv.DictWriter(lines, fieldnames=columns, extrasaction="ignore")
    writer.writerows(records)
    try:
        batch = read_rows(io.StringIO(lines.getvalue()), "preview", now, mapping, columns)
    except BadMap as exc:
        raise InvalidRequest(str(exc).replace("--map", "mapping")) from None
    rows = [
        PreviewRow(line=n, values={k: v or "" for k, v in r.items() if k is not None})
        for n, r in enumerate(records, start=2)
    ]
    problems = [RowProblem(line=r.line, column=r.column, reason=r.reason) for r in batch.rejects]
    return ImportPreview(
        encoding=encoding, columns=columns, mapping=mapping, rows=rows, problems=problems
    )


def start(store: ImportStore, body: Mapping[str, Any], by: str, now: datetime) -> ImportStarted:
    filename = str(body.get("filename") or "").strip()
    if not filename or len(filename) > 200 or "/" in filename:
        raise InvalidRequest("filename: the file's name, 1 to 200 characters, no '/'")
    encoding = str(body.get("encoding") or "")
    if encoding not in _CODECS:
        raise InvalidRequest(f"encoding: one of {', '.join(_CODECS)}")
    mapping = body.get("mapping") or {}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise InvalidRequest("mapping: {kairos column: the file's column}")
    import_id = secrets.token_hex(8)
    meta = {"filename": filename, "encoding": encoding, "mapping": mapping, "by": by,
            "started_at": now.isoformat(), "size": int(body.get("size") or 0)}  # fmt: skip
    store.start(import_id, meta, now)
    return ImportStarted(import_id=import_id)


def _meta(store: ImportStore, import_id: str) -> dict[str, Any]:
    found = store.get(import_id)
    if found is None:
        raise NotFound(f"no import {import_id}")
    return found


def apply_chunk(
    services: Any, store: ImportStore, import_id: str, chunk: int, body: bytes, now: datetime
) -> tuple[ChunkResult, dict[str, Any]]:
    """Apply one chunk's rows; (the answer, the import's record)."""
    meta = _meta(store, import_id)
    done = store.chunk(import_id, chunk)
    if done is not None:
        return _result(chunk, done, repeated=True), meta
    if chunk != int(meta["chunks_done"]):
        raise InvalidRequest(f"chunk {chunk}: send chunk {int(meta['chunks_done'])} first")
    text = _decode(body, str(meta["encoding"]))
    if chunk == 0:
        text = text.removeprefix("\ufeff")  # a BOM the chosen encoding left in
    header = None if chunk == 0 else list(meta.get("header") or [])
    try:
        batch = read_rows(
            io.StringIO(text),
            str(meta["filename"]),
            now,
            dict(meta.get("mapping") or {}),
            header,
            first_line=int(meta["next_line"]),
        )
    except BadMap as exc:
        raise InvalidRequest(str(exc).replace("--map", "mapping")) from None
    for start_at in range(0, len(batch.events), 100):
        ingest(
            batch.events[start_at : start_at + 100],
            services.members,
            now,
            services.settings.zone,
            member_id_key=services.member_id_key(),
        )
    result = {
        "rows": batch.rows,
        "applied": batch.rows - len(batch.rejects),
        "rejected": len(batch.rejects),
        "first_line": int(meta["next_line"]),
        "rejects": _kept_rejects(batch.rejects),
    }
    if not store.finish_chunk(import_id, chunk, result, batch.header if chunk == 0 else None, now):
        again = store.chunk(import_id, chunk)
        if again is None:
            raise InvalidRequest(f"chunk {chunk}: another chunk was applied meanwhile, retry")
        return _result(chunk, again, repeated=True), meta
    return _result(chunk, result, repeated=False), meta


def _kept_rejects(rejects: list[Reject]) -> list[dict[str, Any]]:
    """The first REJECTS_PER_CHUNK rejects, and no more than REJECT_BYTES of them (an
    item holds 400 KB; a chunk of long rows must still be recorded)."""
    kept: list[dict[str, Any]] = []
    size = 0
    for r in rejects[:REJECTS_PER_CHUNK]:
        entry = {"line": r.line, "column": r.column, "reason": r.reason, "row": r.row}
        size += len(json.dumps(entry, ensure_ascii=False).encode())
        if size > REJECT_BYTES:
            break
        kept.append(entry)
    return kept


def _result(chunk: int, done: Mapping[str, Any], repeated: bool) -> ChunkResult:
    return ChunkResult(
        chunk=chunk,
        applied=int(done["applied"]),
        rejected=int(done["rejected"]),
        repeated=repeated,
    )


def progress(store: ImportStore, import_id: str) -> ImportProgress:
    meta = _meta(store, import_id)
    done = int(meta["chunks_done"])
    return ImportProgress(
        import_id=import_id,
        filename=str(meta["filename"]),
        encoding=meta["encoding"],
        by=str(meta["by"]),
        started_at=datetime.fromisoformat(str(meta["started_at"])),
        state="importing" if done else "started",
        chunks_done=done,
        rows_applied=int(meta["rows_applied"]),
        rows_rejected=int(meta["rows_rejected"]),
    )


def rejects_csv(store: ImportStore, import_id: str) -> str:
    """The rejected rows as a CSV ready to fix and import again: the file's columns
    (cells a spreadsheet would run as formulas protected, as an export does), then the
    line, the column to blame and the reason."""
    meta = _meta(store, import_id)
    header = [str(c) for c in meta.get("header") or []]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*header, *REJECT_COLUMNS], extrasaction="ignore")
    writer.writeheader()
    for chunk in sorted(store.chunks(import_id), key=lambda c: str(c["sk"])):
        for reject in chunk.get("rejects") or []:
            row = {k: safe_cell(str(v)) for k, v in reject["row"].items()}
            where = {"_line": reject["line"], "_column": reject["column"]}
            writer.writerow({**row, **where, "_reason": reject["reason"]})
    return out.getvalue()
