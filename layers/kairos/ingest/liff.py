"""LINE's ID-token verify endpoint over HTTP (the adapter of kairos.ingest.proofs'
LiffVerifier): `POST {endpoint}/oauth2/v2.1/verify` with `id_token` and `client_id`
as a form; 200 answers the token's claims, 400 means LINE refused it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 3


class HttpLiffVerifier:
    def __init__(self, endpoint: str) -> None:
        self.url = endpoint.rstrip("/") + "/oauth2/v2.1/verify"

    def verify(self, id_token: str, channel_id: str) -> dict[str, Any] | None:
        form = urllib.parse.urlencode({"id_token": id_token, "client_id": channel_id}).encode()
        request = urllib.request.Request(self.url, data=form, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                claims = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                return None
            raise
        return claims if isinstance(claims, dict) else None
