"""The console's members views (kairos.ingest.routes, family `console_*`): each takes the
ConsoleRequest the handler built (caller checked, role allowed) and the path parameters,
calls one kairos.console service and answers. docs/console-api.md lists them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel

from kairos.console import changes, history, member_page, members
from kairos.console.request import ConsoleRequest
from kairos.members import audit
from kairos.members.service import Brand
from kairos.store.enrolments import EngineStore
from kairos.store.history import HistoryReads
from kairos.wiring.webhook import WebhookServices

NO_STORE = {"Cache-Control": "no-store"}


def _json(status: int, body: BaseModel | dict[str, Any]) -> Response[Any]:
    data = body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else body
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=data,
        headers=dict(NO_STORE),
    )  # fmt: skip


def _absent(member_id: str) -> Response[Any]:
    return _json(404, {"error": f"no member {member_id}"})


def _services(req: ConsoleRequest) -> WebhookServices:
    found: WebhookServices = req.services
    return found


def _brand(req: ConsoleRequest) -> Brand:
    s = _services(req)
    return Brand(zone=s.settings.zone, member_id_key=s.member_id_key())


def _staff(req: ConsoleRequest) -> changes.Staff:
    return changes.Staff(req.principal, req.now, req.request_id, _services(req).audit)


def _history(req: ConsoleRequest) -> HistoryReads:
    store = _services(req).members
    return HistoryReads(store.table, store.client)


def _search_index(req: ConsoleRequest) -> Any:
    """The search index (kairos.console.search.SearchIndex): the member store's reads."""
    return members.search_index(_services(req).members)


def console_me(req: ConsoleRequest) -> Response[Any]:
    s = _services(req)
    brand = s.config.table.removesuffix("-main")
    return _json(200, members.me(req.principal, s.settings, brand))


def console_members(req: ConsoleRequest) -> Response[Any]:
    s = _services(req)
    f = members.parse_filters(req.query, s.settings, s.segment_ids)
    found = members.members_list(
        s.members, f, s.settings, req.now, members.the_search(), _search_index(req)
    )
    return _json(200, found)


def console_export(req: ConsoleRequest) -> Response[Any]:
    """CSV of the current list (the admin API's columns); the rest's cursor in
    `X-Next-Cursor`. Audited with its filters and row count."""
    s = _services(req)
    f = members.parse_filters(
        req.query, s.settings, s.segment_ids, default_limit=1000, most=members.MAX_EXPORT
    )
    page = members.export(
        s.members, f, s.settings, req.now, members.the_search(), _search_index(req)
    )
    _staff(req).record(audit.EXPORTED, None, members.filter_detail(f, page.members))
    name = quote(f.value if f.source in ("tag", "segment") else "members", safe="")
    headers = {
        **NO_STORE,
        "Content-Disposition": f'attachment; filename="{name}.csv"',
        "X-Members": str(page.members),
    }
    if page.next is not None:
        headers["X-Next-Cursor"] = page.next
    return Response(
        status_code=200, content_type="text/csv; charset=utf-8", body=page.csv, headers=headers
    )


def console_member(req: ConsoleRequest, member_id: str) -> Response[Any]:
    s = _services(req)
    engine = EngineStore(s.config.table, s.members.client)
    found = member_page.member_page(
        s.members, engine, _history(req), s.settings, member_id, req.now
    )
    return _absent(member_id) if found is None else _json(200, found)


def console_history(req: ConsoleRequest, member_id: str) -> Response[Any]:
    page = history.history_page(_history(req), member_id, req.query)
    first = not req.query.get("before")
    if first and not page.items and _services(req).members.get(member_id) is None:
        return _absent(member_id)
    return _json(200, page)


def _tag(req: ConsoleRequest, member_id: str, tag: str, add: bool) -> Response[Any]:
    s = _services(req)
    found = changes.tag(_staff(req), s.members, _brand(req), member_id, tag, add=add)
    return _absent(member_id) if found is None else _json(200, found)


def console_tag(req: ConsoleRequest, member_id: str, tag: str) -> Response[Any]:
    return _tag(req, member_id, tag, True)


def console_untag(req: ConsoleRequest, member_id: str, tag: str) -> Response[Any]:
    return _tag(req, member_id, tag, False)


def console_note(req: ConsoleRequest, member_id: str) -> Response[Any]:
    s = _services(req)
    found = changes.note(_staff(req), s.members, _brand(req), member_id, req.body)
    return _absent(member_id) if found is None else _json(201, found)


def console_erase(req: ConsoleRequest, member_id: str) -> Response[Any]:
    s = _services(req)
    done = changes.erase_member(
        _staff(req), s.erasure, _brand(req), member_id, req.query, s.segment_ids()
    )
    return _json(200, done)


def console_merge(req: ConsoleRequest, member_id: str, absorb_id: str) -> Response[Any]:
    s = _services(req)
    done = changes.merge_members(
        _staff(req), s.erasure, member_id, absorb_id, req.query, s.segment_ids()
    )
    return _absent(member_id) if done is None else _json(200, done)


def console_audit(req: ConsoleRequest) -> Response[Any]:
    return _json(200, changes.audit_page(_services(req).audit, req.query))


VIEWS: dict[str, Callable[..., Response[Any]]] = {
    "console_me": console_me,
    "console_members": console_members,
    "console_export": console_export,
    "console_member": console_member,
    "console_history": console_history,
    "console_tag": console_tag,
    "console_untag": console_untag,
    "console_note": console_note,
    "console_erase": console_erase,
    "console_merge": console_merge,
    "console_audit": console_audit,
}
