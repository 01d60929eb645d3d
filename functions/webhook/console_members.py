"""The console's members views (kairos.ingest.routes, family `console_*`): each takes the
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
    "console_me": _not_yet,
    "console_members": _not_yet,
    "console_export": _not_yet,
    "console_member": _not_yet,
    "console_history": _not_yet,
    "console_tag": _not_yet,
    "console_untag": _not_yet,
    "console_note": _not_yet,
    "console_erase": _not_yet,
    "console_merge": _not_yet,
    "console_audit": _not_yet,
}
