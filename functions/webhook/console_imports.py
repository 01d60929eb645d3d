"""The console's imports views (kairos.ingest.routes, family `console_*`): each takes the
ConsoleRequest the handler built (caller checked, role allowed) and the path parameters,
calls kairos.console.imports and answers (JSON, never cached; the rejects as CSV).
Starting an import and every chunk are audited: who, the file's name, the rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from console_journeys import answer, not_found

import kairos.console.imports as imports
from kairos.console.changes import Staff
from kairos.console.journeys import NotFound
from kairos.console.request import ConsoleRequest
from kairos.members import audit
from kairos.members.service import InvalidRequest
from kairos.store.imports import ImportStore


def _store(req: ConsoleRequest) -> ImportStore:
    return ImportStore(req.services.members.table, req.services.members.client)


def _staff(req: ConsoleRequest) -> Staff:
    return Staff(req.principal, req.now, req.request_id, req.services.audit)


def preview(req: ConsoleRequest) -> Response[Any]:
    return answer(imports.preview(req.body, req.query, req.now))


def start(req: ConsoleRequest) -> Response[Any]:
    try:
        body = json.loads(req.body or b"{}")
    except ValueError:
        raise InvalidRequest("send JSON: {mapping, encoding, filename, size}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("send JSON: {mapping, encoding, filename, size}")
    started = imports.start(_store(req), body, req.principal.username, req.now)
    _staff(req).record(
        audit.IMPORT_STARTED,
        None,
        {"import_id": started.import_id, "filename": body.get("filename"),
         "size": body.get("size")},
    )  # fmt: skip
    return answer(started, 201)


def chunk(req: ConsoleRequest, import_id: str, chunk: str) -> Response[Any]:
    if not chunk.isdigit():
        raise InvalidRequest(f"chunk {chunk!r}: a number from 0")
    try:
        result, meta = imports.apply_chunk(
            req.services, _store(req), import_id, int(chunk), req.body, req.now
        )
    except NotFound as exc:
        return not_found(exc)
    if not result.repeated:
        _staff(req).record(
            audit.IMPORT_CHUNK,
            None,
            {"import_id": import_id, "filename": meta["filename"], "chunk": result.chunk,
             "applied": result.applied, "rejected": result.rejected},
        )  # fmt: skip
    return answer(result)


def progress(req: ConsoleRequest, import_id: str) -> Response[Any]:
    try:
        return answer(imports.progress(_store(req), import_id))
    except NotFound as exc:
        return not_found(exc)


def rejects(req: ConsoleRequest, import_id: str) -> Response[Any]:
    try:
        text = imports.rejects_csv(_store(req), import_id)
    except NotFound as exc:
        return not_found(exc)
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=text,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="rejects-{import_id}.csv"',
        },
    )


VIEWS: dict[str, Callable[..., Response[Any]]] = {
    "console_import_preview": preview,
    "console_import_start": start,
    "console_import": progress,
    "console_import_chunk": chunk,
    "console_import_rejects": rejects,
}
