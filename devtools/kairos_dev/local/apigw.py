"""API Gateway REST proxy events built from real HTTP requests, as Lambda receives them.

A request a Cognito authorizer let through carries the token's claims in
`requestContext.authorizer.claims`, as a REST API passes them: every value a string."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def proxy_event(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    request_time_ms: int,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    authorizer_claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    try:
        text: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        # Non-UTF-8 bodies reach Lambda base64-encoded, exactly as API Gateway sends them.
        text = base64.b64encode(body).decode()
        encoded = True
    request_id = str(uuid.uuid4())
    return {
        "resource": resource or parts.path,
        "path": parts.path,
        "httpMethod": method.upper(),
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or parts.path,
            "httpMethod": method.upper(),
            "path": parts.path,
            "stage": "local",
            "requestId": request_id,
            "requestTimeEpoch": request_time_ms,
            "identity": {"sourceIp": "127.0.0.1"},
            "accountId": "123456789012",
            "apiId": "local",
            **({"authorizer": {"claims": authorizer_claims}} if authorizer_claims else {}),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }
