"""The admin API's answers, without HTTP: the webhook function's admin views
(functions/webhook/admin_views.py) turn a request into an `AdminRequest`, call one of these
and send back `(status, body)`. API Gateway has already checked the caller's SigV4
signature and IAM permission (`auth="iam"` in kairos.ingest.routes); docs/admin-api.md
describes each route.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairos.members import audit
from kairos.members.audit import AuditTrail
from kairos.members.erase import erase
from kairos.members.export import ExportPage, export_page
from kairos.members.merge import MergeStore, merge
from kairos.members.service import (
    LOOKUP_KINDS,
    Brand,
    InvalidRequest,
    MemberAdminStore,
    add_note,
    change_tag,
    identifier,
    member_view,
)

Answer = tuple[int, dict[str, Any]]
MAX_PAGE = 500
MAX_EXPORT = 5000
"""Members in one export response (fewer when their rows reach the byte budget)."""


@dataclass(frozen=True)
class AdminRequest:
    members: MemberAdminStore
    erasure: MergeStore
    brand: Brand
    segment_ids: Callable[[], list[str]]
    now: datetime
    request_id: str
    """API Gateway's request id: keys the change's event, so it is applied once."""
    caller: str
    """The signed caller (IAM user or role ARN): `by` on every change it makes, and the
    default author of a note."""
    query: Mapping[str, str]
    audit: AuditTrail
    """Where every change and export is recorded (role `iam`)."""

    def record(self, action: str, member_id: str | None, detail: dict[str, Any]) -> None:
        audit.record(
            self.audit, now=self.now, request_id=self.request_id, by=self.caller,
            role=audit.IAM_ROLE, action=action, member_id=member_id, detail=detail,
        )  # fmt: skip


def _limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest(f"limit: a whole number from 1 to {MAX_PAGE}")
    return int(raw)


def get_member(req: AdminRequest, member_id: str) -> Answer:
    view = member_view(
        req.members, member_id, _limit(req.query, 50), req.query.get("before") or None
    )
    if view is None:
        return 404, {"error": f"no member {member_id}"}
    return 200, view


def find_members(req: AdminRequest) -> Answer:
    """One identifier (`email`, `phone`, `line`, `external`) → the member; or `tag` → a
    page of member ids from the tag index (`limit`, `cursor`)."""
    if "tag" in req.query:
        ids, cursor = req.members.tagged(
            req.query["tag"], _limit(req.query, 100), req.query.get("cursor") or None
        )
        return 200, {"members": ids, "next": cursor}
    if "segment" in req.query:
        ids, cursor = req.members.segmented(
            _segment(req), _limit(req.query, 100), req.query.get("cursor") or None
        )
        return 200, {"members": ids, "next": cursor}
    given = [k for k in LOOKUP_KINDS if k in req.query]
    if len(given) != 1:
        raise InvalidRequest("give one of email, phone, line, external, tag or segment")
    kind, value = identifier(given[0], req.query[given[0]])
    member_id = req.members.find(kind, value)
    if member_id is None:
        return 404, {"error": f"no member with that {given[0]}"}
    return 200, {"members": [member_id], "next": None}


def _segment(req: AdminRequest) -> str:
    """`?segment=` naming one of the brand's segments (a typo is a 400, not an empty list)."""
    segment_id = req.query["segment"]
    known = req.segment_ids()
    if segment_id not in known:
        raise InvalidRequest(
            f"segment: no segment {segment_id!r} (known: {', '.join(sorted(known)) or 'none'})"
        )
    return segment_id


ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""A custom profile attribute as journeys name it (`profile.<name>`)."""
MAX_ATTRIBUTES = 50


def export_members(req: AdminRequest) -> tuple[str, str, ExportPage]:
    """`?tag=T` or `?segment=S` (`limit`, `cursor`, `attributes=a,b` for custom profile
    attributes as extra columns): (kind, name, a page of CSV). The
    view sends the CSV with the next page's cursor in `X-Next-Cursor` and `Link`."""
    given = [k for k in ("tag", "segment") if k in req.query]
    if len(given) != 1:
        raise InvalidRequest("give one of tag or segment")
    kind = given[0]
    name = req.query["tag"] if kind == "tag" else _segment(req)
    if not name:
        raise InvalidRequest(f"{kind}: give a name")
    raw = req.query.get("limit", "1000")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_EXPORT:
        raise InvalidRequest(f"limit: a whole number from 1 to {MAX_EXPORT}")
    attributes = [a for a in (req.query.get("attributes") or "").split(",") if a]
    for attribute in attributes:
        if not ATTRIBUTE_NAME.fullmatch(attribute):
            raise InvalidRequest(f"attributes: {attribute[:40]!r} is not an attribute name")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidRequest(f"attributes: at most {MAX_ATTRIBUTES}")
    page = export_page(
        req.members, kind, name, int(raw), req.query.get("cursor") or None,
        attributes=attributes,
    )  # fmt: skip
    first = not req.query.get("cursor")
    req.record(audit.EXPORTED, None, {kind: name, "rows": page.members, "first_page": first})
    return kind, name, page


def erase_member(req: AdminRequest, member_id: str) -> Answer:
    """Idempotent: 200 `erased`, then 200 `absent`. `?request=REF` is the deletion
    request's reference kept with the tombstones (default: this request's id)."""
    reference = req.query.get("request") or req.request_id
    done = erase(
        member_id,
        req.erasure,
        req.now,
        reference,
        member_id_key=req.brand.member_id_key,
        segment_ids=req.segment_ids(),
    )
    if done.status == "erased":
        req.record(audit.ERASED, member_id, {"request": reference})
    return 200, done.as_json()


def merge_members(req: AdminRequest, keep: str, absorb: str) -> Answer:
    """ABSORB into KEEP (`?request=REF` recorded on the timeline): 200 `merged`, then
    200 `absent`; 404 without KEEP; 400 for the same member twice."""
    if keep == absorb:
        raise InvalidRequest("KEEP and ABSORB are the same member")
    reference = req.query.get("request") or req.request_id
    try:
        done = merge(
            keep, absorb, req.erasure, req.now, reference, segment_ids=req.segment_ids(),
            by=req.caller,
        )  # fmt: skip
    except LookupError:
        return 404, {"error": f"no member {keep}"}
    if done.status == "merged":
        req.record(audit.MERGED, keep, {"absorbed": absorb, "request": reference})
    return 200, done.as_json()


def tag_member(req: AdminRequest, member_id: str, tag: str, *, add: bool) -> Answer:
    result = change_tag(
        req.members, member_id, tag, add=add, now=req.now, brand=req.brand,
        request=req.request_id, by=req.caller,
    )  # fmt: skip
    if result is None:
        return 404, {"error": f"no member {member_id}"}
    req.record(audit.TAG_ADDED if add else audit.TAG_REMOVED, member_id, {"tag": tag})
    member = req.members.get(member_id)
    return 200, {"member_id": member_id, "tags": member.tags if member else []}


def note_member(req: AdminRequest, member_id: str, body: bytes) -> Answer:
    """Body: `{"text": "…", "author": "…"}`; the author defaults to the signed caller."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidRequest("body: JSON object expected") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise InvalidRequest('body: {"text": "…", "author": "…"} expected')
    author = data.get("author") or req.caller
    if not isinstance(author, str):
        raise InvalidRequest("author: a string")
    result = add_note(
        req.members, member_id, author, data["text"], now=req.now, brand=req.brand,
        request=req.request_id, by=req.caller,
    )  # fmt: skip
    if result is None:
        return 404, {"error": f"no member {member_id}"}
    req.record(audit.NOTE_ADDED, member_id, {"chars": len(data["text"])})
    return 201, {"member_id": member_id, "author": author, "status": result.status}


__all__ = [
    "AdminRequest",
    "Answer",
    "InvalidRequest",
    "erase_member",
    "export_members",
    "find_members",
    "get_member",
    "merge_members",
    "note_member",
    "tag_member",
]
