"""The deployed stack's admin API (docs/admin-api.md) for `kairos members … --api URL`:
the reads the member commands make of the table (`get`, `find`, `timeline`,
`timeline_of_kind`, `tagged`, `tagged_members`) and staff's changes (`change_tag`,
`add_note`, `erase`, `merge`), each one request SigV4-signed for `execute-api` with the
caller's AWS credentials, so a command reads the same whether it goes to the table or
to the API.

What goes wrong is one line: `AdminApiError` (refused credentials, no network, an answer
the API should not give), `InvalidRequest` for a 400 as the service raises it, and the
AWS configuration errors botocore raises (no credentials, no region) that the CLI
already explains (kairos_dev.errors).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from kairos.members.erase import Erasure
from kairos.members.merge import Merged
from kairos.members.service import LOOKUP_KINDS, NOTE, InvalidRequest
from kairos.models.member import Member
from kairos.naming import OUTPUT_ADMIN_POLICY, OUTPUT_API_URL
from kairos_dev.errors import AdminApiError

SERVICE = "execute-api"
_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
_KIND_PARAMETER = {kind: parameter for parameter, kind in LOOKUP_KINDS.items()}
TIMEOUT_SECONDS = 30.0


def api_region(url: str, default: str | None) -> str | None:
    """The region in an API Gateway URL (`…execute-api.<region>.amazonaws.com`), else
    the configured one (a custom domain, a local server)."""
    found = _REGION_IN_HOST.search(urlsplit(url).hostname or "")
    return found.group(1) if found else default


class AdminClient:
    """`url` is the stack's `ApiUrl` output (the stage's base URL)."""

    def __init__(self, url: str, session: Any = None, timeout: float = TIMEOUT_SECONDS) -> None:
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.exceptions import NoCredentialsError, NoRegionError

        self.url = url.rstrip("/")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise AdminApiError(f"--api {url}: an http(s) URL, the stack's {OUTPUT_API_URL}")
        session = session or boto3.Session()
        region = api_region(self.url, session.region_name)
        if region is None:
            raise NoRegionError()
        credentials = session.get_credentials()
        if credentials is None:
            raise NoCredentialsError()
        self.signer = SigV4Auth(credentials, SERVICE, region)
        self.timeout = timeout
        self._views: dict[str, tuple[int, dict[str, Any]]] = {}
        """Member id → (timeline entries asked for, the API's answer): `show` reads the
        profile, the timeline and the notes from one or two requests, not four."""

    # ---- HTTP ----------------------------------------------------------------------

    def call(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """One signed request; (status, JSON answer) for 2xx and 404, else raises."""
        status, raw, _ = self._send(method, path, query, body, accept="application/json")
        return status, _json(raw)

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        *,
        accept: str,
    ) -> tuple[int, bytes, dict[str, str]]:
        """One signed request; (status, body, headers) for 2xx and 404, else raises."""
        from botocore.awsrequest import AWSRequest

        given = {k: str(v) for k, v in (query or {}).items() if v is not None}
        url = f"{self.url}{path}" + (f"?{urlencode(given, quote_via=quote)}" if given else "")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        signed = AWSRequest(method=method, url=url, data=data, headers=headers)
        self.signer.add_auth(signed)
        request = urllib.request.Request(
            url, data=data, headers=dict(signed.headers.items()), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AdminApiError(
                f"cannot reach {self.url} ({reason}): check --api (the stack's "
                f"{OUTPUT_API_URL} output) and the network"
            ) from exc
        answer = _json(raw)
        if status == 404:
            return status, raw, {}
        if status == 400:
            raise InvalidRequest(str(answer.get("error") or "bad request"))
        if status == 403:
            raise AdminApiError(
                f"{self.url} refused the call (403): these AWS credentials lack the admin "
                f"policy; attach the policy in the stack output {OUTPUT_ADMIN_POLICY} to "
                "your IAM user or role (or use another AWS_PROFILE)"
            )
        detail = answer.get("error") or answer.get("message") or ""
        raise AdminApiError(f"{method} {url} answered {status}{': ' if detail else ''}{detail}")

    def export_rows(self, index: str, name: str, page: int = 5000) -> Iterator[dict[str, str]]:
        """`GET /admin/members/export`: the CSV rows of a tag's or segment's members, a
        page (up to `page` members, ~5 MB) a request — not one request per member."""
        import csv
        import io

        cursor: str | None = None
        while True:
            _, raw, headers = self._send(
                "GET", "/admin/members/export", {index: name, "limit": page, "cursor": cursor},
                accept="text/csv",
            )  # fmt: skip
            yield from csv.DictReader(io.StringIO(raw.decode("utf-8")))
            cursor = {k.lower(): v for k, v in headers.items()}.get("x-next-cursor") or None
            if cursor is None:
                return

    # ---- reads, as MemberRepository's --------------------------------------------

    def find(self, kind: str, value: str) -> str | None:
        status, answer = self.call(
            "GET", "/admin/members", {_KIND_PARAMETER.get(kind, kind): value}
        )
        found = answer.get("members") or []
        return str(found[0]) if status == 200 and found else None

    def view(self, member_id: str, limit: int = 50) -> dict[str, Any] | None:
        """`GET /admin/members/{id}`: profile, notes and the newest `limit` entries."""
        cached = self._views.get(member_id)
        if cached is not None and cached[0] >= limit:
            return cached[1]
        status, answer = self.call("GET", f"/admin/members/{_part(member_id)}", {"limit": limit})
        if status != 200:
            return None
        self._views[member_id] = (limit, answer)
        return answer

    def get(self, member_id: str) -> Member | None:
        view = self.view(member_id, limit=1)
        return None if view is None else Member.model_validate(view["member"])

    def timeline(self, member_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest entries, oldest first (the API answers newest first)."""
        view = self.view(member_id, limit)
        return [] if view is None else list(reversed(view["timeline"][:limit]))

    def timeline_of_kind(self, member_id: str, kind: str, limit: int = 50) -> list[dict[str, Any]]:
        """Notes only (the API's `notes`), as timeline entries."""
        if kind != NOTE:
            raise AdminApiError(f"the admin API lists {NOTE} entries only, not {kind}")
        view = self.view(member_id, limit=1)
        notes = [] if view is None else view["notes"][:limit]
        return [
            {"time": n["time"], "kind": NOTE, "data": {k: v for k, v in n.items() if k != "time"}}
            for n in notes
        ]

    def tagged(
        self, tag: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        return self._listed("tag", tag, limit, cursor)

    def segmented(
        self, segment: str, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        return self._listed("segment", segment, limit, cursor)

    def _listed(
        self, index: str, name: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        _, answer = self.call(
            "GET", "/admin/members", {index: name, "limit": limit, "cursor": cursor}
        )
        return [str(m) for m in answer.get("members") or []], answer.get("next")

    def tagged_members(self, tag: str, page: int = 100) -> Iterator[Member]:
        """Every member with `tag`: a page of ids at a time, then each one's profile."""
        return self._members("tag", tag, page)

    def segment_members(self, segment: str, page: int = 100) -> Iterator[Member]:
        """Every member in `segment`, the same way."""
        return self._members("segment", segment, page)

    def _members(self, index: str, name: str, page: int) -> Iterator[Member]:
        cursor: str | None = None
        while True:
            ids, cursor = self._listed(index, name, page, cursor)
            for member_id in ids:
                member = self.get(member_id)
                self._views.pop(member_id, None)  # an export holds no views
                if member is not None:  # erased or merged since the page was read
                    yield member
            if cursor is None:
                return

    def scan_members(self) -> Iterator[Member]:
        raise AdminApiError(
            "the admin API exports by tag or segment only: add --tag or --segment, or use --table"
        )

    # ---- staff changes, as kairos.members -------------------------------------------

    def change_tag(self, member_id: str, tag: str, *, add: bool) -> list[str] | None:
        """The member's tags afterwards; None when there is no such member."""
        path = f"/admin/members/{_part(member_id)}/tags/{_part(tag)}"
        self._views.clear()
        status, answer = self.call("POST" if add else "DELETE", path)
        return None if status == 404 else [str(t) for t in answer.get("tags") or []]

    def add_note(self, member_id: str, author: str | None, text: str) -> bool:
        """False when there is no such member; the author defaults to the signed caller."""
        self._views.clear()
        body = {"text": text, **({"author": author} if author else {})}
        status, _ = self.call("POST", f"/admin/members/{_part(member_id)}/notes", body=body)
        return status != 404

    def erase_lookup(self, kind: str, value: str) -> tuple[str | None, str]:
        """The member an identifier names, or None and why (the API does not say whether
        it was erased)."""
        return self.find(kind, value), "no member has it (erased before, or never known)"

    def erase(self, member_id: str, request: str) -> Erasure:
        self._views.clear()
        _, answer = self.call("DELETE", f"/admin/members/{_part(member_id)}", {"request": request})
        return Erasure(
            member_id=answer.get("member_id"),
            status=str(answer["status"]),
            items=int(answer.get("items_removed", 0)),
            timers=int(answer.get("timers_cancelled", 0)),
            deliveries=int(answer.get("deliveries_scrubbed", 0)),
            identifiers=int(answer.get("identifiers_tombstoned", 0)),
        )

    def merge(self, keep: str, absorb: str, request: str) -> Merged:
        """Raises LookupError without KEEP and ValueError for one member twice, as
        kairos.members.merge does."""
        if keep == absorb:
            raise ValueError("KEEP and ABSORB are the same member")
        self._views.clear()
        path = f"/admin/members/{_part(keep)}/merge/{_part(absorb)}"
        status, answer = self.call("POST", path, {"request": request})
        if status == 404:
            raise LookupError(f"no member {keep}")
        return Merged(keep, absorb, str(answer["status"]), int(answer.get("entries_moved", 0)))


def _part(value: str) -> str:
    """One path segment: `/`, `#`, `?` and non-ASCII escaped (tags like `回購`)."""
    return quote(value, safe="")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw[:200].decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"error": str(data)}
