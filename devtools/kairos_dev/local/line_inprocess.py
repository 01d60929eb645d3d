"""LINE for a simulation on the memory backend: the sender's `LineSender` port answered
by the fake LINE API in this process (`FakeLine.receive`), with no server, socket,
urllib3, thread or line-bot-sdk in between.

The fake does what it does over HTTP — bearer token, validation, retry keys (409 with
the accepted request id), rate windows, the monthly allowance, injected faults, and
every accepted message recorded — and its answers become the sender's decisions as the
SDK adapter's do (kairos.delivery.channels.line): 200 → the push's first message id (a
multicast: the request id), 409 with `X-Line-Accepted-Request-Id` → accepted earlier,
anything else → `line_answers.decision`. An answer slower than the read timeout (an
injected slow fault) is the SDK's read timeout: LINE sent the message, the sender sees
LINE unreachable. A reply (`reply`) answers the sent messages' ids, and its refusals are
`line_answers.reply_decision`'s (a refused token: ReplyUnusable); a reply answered too
late is ReplyUnknown (sent, the token used). Nothing waits in real time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kairos.delivery.channels.base import SendResult
from kairos.delivery.channels.line_answers import decision, reply_decision
from kairos.delivery.model import ReplyUnknown, Transient
from kairos.delivery.templates import LineContent
from kairos_dev.local.fake_line import Endpoint, FakeLine

READ_TIMEOUT = 10.0
"""Seconds the SDK adapter waits for an answer (LineChannel's read timeout)."""


class InProcessLine:
    """A `LineSender` whose requests `fake` answers in this process."""

    def __init__(
        self, fake: FakeLine, token: Callable[[], str], timeout: float = READ_TIMEOUT
    ) -> None:
        self.fake = fake
        self._token = token
        """The channel access token the requests carry (as the SDK adapter's: read when
        sending, so a rotated secret takes effect)."""
        self.timeout = timeout
        self.calls: dict[str, int] = {"push": 0, "multicast": 0, "reply": 0}

    def push(self, to: str, content: LineContent, retry_key: str) -> SendResult:
        self.calls["push"] += 1
        return self._request("push", content.body(to), retry_key)

    def multicast(self, to: list[str], content: LineContent, retry_key: str) -> SendResult:
        self.calls["multicast"] += 1
        return self._request("multicast", content.body(to), retry_key)

    def reply(self, token: str, messages: list[dict[str, Any]]) -> list[str | None]:
        self.calls["reply"] += 1
        payload = json.loads(
            json.dumps({"replyToken": token, "messages": messages}, ensure_ascii=False)
        )
        headers = {"Authorization": f"Bearer {self._token()}"}
        status, _, answer, delay = self.fake.receive("reply", headers, payload)
        if delay >= self.timeout:
            raise ReplyUnknown("LINE did not answer the reply (ReadTimeoutError)")
        if status == 200:
            return [
                None if sent.get("id") is None else str(sent["id"])
                for sent in answer.get("sentMessages") or []
            ]
        raise reply_decision(status, json.dumps(answer))

    def _request(self, endpoint: Endpoint, body: dict[str, Any], retry_key: str) -> SendResult:
        # Through JSON, as on the wire: the fake keeps what it received, never the
        # sender's own objects, and anything JSON cannot carry fails here as it would.
        payload = json.loads(json.dumps(body, ensure_ascii=False))
        headers = {"Authorization": f"Bearer {self._token()}", "X-Line-Retry-Key": retry_key}
        status, answer_headers, answer, delay = self.fake.receive(endpoint, headers, payload)
        if delay >= self.timeout:
            raise Transient("LINE unreachable (ReadTimeoutError)", delay=2.0)
        if status == 200:
            sent = answer.get("sentMessages") or []
            if sent:
                return SendResult(provider_message_id=str(sent[0]["id"]))
            # Multicast answers `{}`: the request id is the only handle LINE gives.
            return SendResult(provider_message_id=answer_headers.get("X-Line-Request-Id"))
        accepted = answer_headers.get("X-Line-Accepted-Request-Id")
        if status == 409 and accepted:
            return SendResult(provider_message_id=accepted, accepted_earlier=True)
        raise decision(status, json.dumps(answer))


class InProcessApi:
    """A `kairos.richmenus.api.Transport` answered by `fake` in this process: rich menus,
    bulk links, unit statistics and quota, as over HTTP."""

    def __init__(self, fake: FakeLine, token: Callable[[], str]) -> None:
        self.fake = fake
        self._token = token

    def __call__(
        self, method: str, path: str, body: bytes, content_type: str
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": content_type}
        return self.fake.rest(method, path, headers, body)
