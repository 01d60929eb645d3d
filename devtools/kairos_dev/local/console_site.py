"""What `kairos local` serves at `/console/` besides the API: the built console
(`console/dist`, `make console-build`), its `config.json` saying how to sign in, and the
development sign-in (`GET /console/dev/users`, `POST /console/dev/login`).

Deployed, CloudFront serves the same files from S3 and the stack writes a `config.json`
naming its Cognito user pool; the development sign-in exists only here.
"""

from __future__ import annotations

import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kairos_dev.local.console_auth import DevTokens
from kairos_dev.local.functions import REPO_ROOT

DIST = Path(os.environ.get("KAIROS_CONSOLE_DIST") or REPO_ROOT / "console" / "dist")
"""The built console (`make console-build`); KAIROS_CONSOLE_DIST serves another build."""
PREFIX = "/console/"
API_PREFIX = "/console/api/"
CONFIG = {"auth": "dev", "apiBase": "/console/api"}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}

Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: Any) -> Answer:
    data = json.dumps(body, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json", "Cache-Control": "no-store"}, data


def _not_found(what: str) -> Answer:
    return _json(404, {"error": f"no such file: {what}"})


@dataclass
class ConsoleSite:
    """The console's files and development sign-in for one local server."""

    tokens: DevTokens
    dist: Path = DIST

    def handles(self, path: str) -> bool:
        """Whether a request path is the console's (and not its API's)."""
        return (path == "/console" or path.startswith(PREFIX)) and not path.startswith(API_PREFIX)

    def answer(self, method: str, path: str, body: bytes) -> Answer:
        if path == "/console":
            return 308, {"Location": PREFIX}, b""
        if path == "/console/config.json":
            return _json(200, CONFIG) if method == "GET" else _json(405, {"error": "GET only"})
        if path == "/console/dev/users":
            if method != "GET":
                return _json(405, {"error": "GET only"})
            return _json(200, {"users": [u.as_json() for u in self.tokens.users]})
        if path == "/console/dev/login":
            return self._login(body) if method == "POST" else _json(405, {"error": "POST only"})
        if method != "GET":
            return _json(405, {"error": "GET only"})
        return self._file(path.removeprefix(PREFIX))

    def _login(self, body: bytes) -> Answer:
        try:
            username = json.loads(body or b"{}").get("username")
        except (ValueError, AttributeError):
            return _json(400, {"error": 'send {"username": NAME}'})
        user = self.tokens.user(str(username)) if username else None
        if user is None:
            names = ", ".join(u.username for u in self.tokens.users)
            return _json(400, {"error": f"no console user {username!r}; the users are {names}"})
        token, expires_at = self.tokens.issue(user)
        return _json(200, {"id_token": token, "expires_at": expires_at, "user": user.as_json()})

    def _file(self, relative: str) -> Answer:
        if not (self.dist / "index.html").is_file():
            message = (
                "The console is not built: run `make console-build` (npm in console/), "
                "then reload.\n"
            )
            return 503, {"Content-Type": "text/plain; charset=utf-8"}, message.encode()
        relative = unquote(relative) or "index.html"
        root = self.dist.resolve()
        target = (root / relative).resolve()
        # Nothing outside the built console, however the path is spelled.
        if ".." in Path(relative).parts or not target.is_relative_to(root):
            return _not_found(relative)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return _not_found(relative)
        content_type = TYPES.get(target.suffix.lower()) or (
            mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        # Vite's hashed assets never change; the page and anything unhashed are revalidated.
        cache = (
            "public, max-age=31536000, immutable" if target.parent.name == "assets" else "no-cache"
        )
        headers = {
            "Content-Type": content_type,
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
        }
        return 200, headers, target.read_bytes()
