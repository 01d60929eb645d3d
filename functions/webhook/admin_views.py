"""The admin API under /admin/ (kairos.ingest.routes, `auth="iam"`): API Gateway has
checked the caller's SigV4 signature and IAM policy; these views only translate HTTP to
kairos.members.admin_api (docs/admin-api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode

import current_request as current
from aws_lambda_powertools.event_handler import Response, content_types

from kairos.members import admin_api
from kairos.members.service import Brand


def _admin() -> admin_api.AdminRequest:
    event = current.event()
    identity = event.request_context.identity
    services_ = current.services()
    return admin_api.AdminRequest(
        members=services_.members,
        erasure=services_.erasure,
        brand=Brand(zone=services_.settings.zone, member_id_key=services_.member_id_key()),
        segment_ids=services_.segment_ids,
        now=current.now(),
        request_id=event.request_context.request_id or "unknown",
        # `kairos local` serves the admin routes unsigned: no caller there.
        caller=identity.user_arn or identity.caller or "local",
        query=dict(event.query_string_parameters or {}),
        audit=services_.audit,
    )


def _answer(found: admin_api.Answer) -> Response[Any]:
    status, body = found
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )


def admin_find() -> Response[Any]:
    return _answer(admin_api.find_members(_admin()))


def admin_export() -> Response[Any]:
    """CSV of a tag's or segment's members; the rest's cursor in `X-Next-Cursor` / `Link`."""
    kind, name, page = admin_api.export_members(_admin())
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{kind}-{quote(name, safe="")}.csv"',
        "X-Members": str(page.members),
    }
    if page.next is not None:
        kept = _kept_of(current.event())
        query = urlencode({kind: name, "cursor": page.next, **kept})
        headers["X-Next-Cursor"] = page.next
        headers["Link"] = f'<?{query}>; rel="next"'
    return Response(
        status_code=200, content_type="text/csv; charset=utf-8", body=page.csv, headers=headers
    )


def _kept_of(event: Any) -> dict[str, str]:
    """What the next page's link repeats: the page size and the extra columns."""
    given = event.query_string_parameters or {}
    return {k: given[k] for k in ("limit", "attributes") if given.get(k)}


def admin_member(member_id: str) -> Response[Any]:
    return _answer(admin_api.get_member(_admin(), unquote(member_id)))


def admin_erase(member_id: str) -> Response[Any]:
    return _answer(admin_api.erase_member(_admin(), unquote(member_id)))


def admin_tag(member_id: str, tag: str) -> Response[Any]:
    return _answer(admin_api.tag_member(_admin(), unquote(member_id), unquote(tag), add=True))


def admin_untag(member_id: str, tag: str) -> Response[Any]:
    return _answer(admin_api.tag_member(_admin(), unquote(member_id), unquote(tag), add=False))


def admin_note(member_id: str) -> Response[Any]:
    return _answer(admin_api.note_member(_admin(), unquote(member_id), current.raw_body()))


def admin_merge(member_id: str, absorb_id: str) -> Response[Any]:
    return _answer(admin_api.merge_members(_admin(), unquote(member_id), unquote(absorb_id)))


VIEWS: dict[str, Callable[..., Response[Any]]] = {
    "admin_find": admin_find,
    "admin_export": admin_export,
    "admin_member": admin_member,
    "admin_erase": admin_erase,
    "admin_tag": admin_tag,
    "admin_untag": admin_untag,
    "admin_note": admin_note,
    "admin_merge": admin_merge,
}
