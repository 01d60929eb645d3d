"""The console's API through the real webhook handler on the memory backend, as API
Gateway delivers it after its Cognito authorizer: the caller's claims in
`requestContext.authorizer.claims` (or none at all)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

from kairos.clock import from_epoch_ms
from kairos.ingest.signatures import sign_kairos
from kairos.store.members import MemberRepository
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import create_local_stack
from tests.builders import NOW_MS

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
USERS: dict[str, dict[str, str] | None] = {
    "none": None,
    "staff": {"cognito:username": "sam", "email": "sam@brand.example", "cognito:groups": "staff"},
    "marketer": {"cognito:username": "mia", "cognito:groups": "marketer"},
    "admin": {"cognito:username": "ada", "cognito:groups": "[admin staff]"},
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None


class Console:
    """A fresh memory-backed stack with the example brand, and its webhook function."""

    def __init__(self, project_dir: Path | None = EXAMPLES) -> None:
        self._seconds = count(1)
        self.backend = MemoryBackend(lambda: from_epoch_ms(NOW_MS))
        self.stack = create_local_stack(
            self.backend, prefix="console", project_dir=str(project_dir) if project_dir else None
        )
        self.host = FunctionHost(self.backend.aws, self.stack.environ())
        self.members = MemberRepository(self.stack.tables["main"], self.backend.client("dynamodb"))

    def call(
        self, method: str, path: str, user: str = "staff", body: Any = None, raw: bytes = b""
    ) -> Answer:
        """One request at the next second (so later changes win), as `user`."""
        data = raw or (b"" if body is None else json.dumps(body, ensure_ascii=False).encode())
        now_ms = NOW_MS + 1000 * next(self._seconds)
        headers = {"content-type": "application/json"} if data else {}
        event = proxy_event(method, f"/console/api/{path}", headers, data, now_ms)
        claims = USERS[user]
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": dict(claims)}
        result = self.host.invoke("webhook", event)
        found = {k: v[0] for k, v in (result.get("multiValueHeaders") or {}).items()}
        found.update(result.get("headers") or {})
        return Answer(int(result["statusCode"]), found, result.get("body") or "")

    def events(self, *events: dict[str, Any]) -> None:
        body = json.dumps(list(events), ensure_ascii=False).encode()
        headers = {"X-Kairos-Signature": sign_kairos(body, self.stack.secrets.webhook_secret)}
        result = self.host.invoke("webhook", proxy_event("POST", "/events", headers, body, NOW_MS))
        assert result["statusCode"] == 200, result.get("body")

    def member(self, email: str, at: str = "2026-03-01T10:00:00+08:00", **profile: Any) -> str:
        """A member known by email from `at` (and whatever profile given); their id."""
        self.events(
            {
                "id": f"p-{email}",
                "type": "profile.updated",
                "time": at,
                "member": {"email": email},
                "data": profile,
            }
        )
        found = self.members.find("email", email)
        assert found is not None
        return str(found)
