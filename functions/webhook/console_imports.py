"""The console's imports views (kairos.ingest.routes, family `console_*`): each takes the
ConsoleRequest the handler built (caller checked, role allowed) and the path parameters,
calls one kairos.console service and answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from kairos.console.request import ConsoleRequest


def _not_yet(req: ConsoleRequest, **params: str) -> Response[Any]:
    return Response(
        status_code=501,
        content_type=content_types.APPLICATION_JSON,
        body={"error": "not built yet"},
    )


VIEWS = {
    "console_import_preview": _not_yet,
    "console_import_start": _not_yet,
    "console_import": _not_yet,
    "console_import_chunk": _not_yet,
    "console_import_rejects": _not_yet,
}
