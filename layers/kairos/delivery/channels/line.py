"""LINE Messaging API through line-bot-sdk v3: push, multicast and reply.

Every request carries `X-Line-Retry-Key`, derived from the delivery id (push) or the
sorted delivery ids of a multicast, so a retry after a timeout is recognised by LINE:
it answers 409 with `X-Line-Accepted-Request-Id` and sends nothing, and we record the
earlier request as the one that delivered. The SDK's own retries are off: a retry is
the sender's decision (backoff through the queue). A reply has no retry key: a failure
to connect sent nothing (Transient), any later failure may have sent it (ReplyUnknown).

`Configuration(host=…)` points the SDK at `KAIROS_LINE_API_ENDPOINT`: LINE in
production, the fake LINE server locally and in tests. What LINE's answers mean is
line_answers.py's, shared with every other LINE transport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from urllib3.exceptions import ConnectTimeoutError

from kairos.delivery.channels.base import SendResult
from kairos.delivery.channels.line_answers import decision, reply_decision
from kairos.delivery.model import DeliveryError, ReplyUnknown, Transient
from kairos.delivery.templates import LineContent


class LineChannel:
    def __init__(
        self,
        host: str,
        token: Callable[[], str],
        timeout: tuple[float, float] = (3.05, 10.0),
        pool_size: int = 10,
    ) -> None:
        self.host = host.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.pool_size = pool_size
        self._lock = threading.Lock()
        self._api: MessagingApi | None = None
        self._api_token: str | None = None
        self.calls: dict[str, int] = {"push": 0, "multicast": 0, "reply": 0}

    def _client(self) -> MessagingApi:
        token = self._token()  # cached by the secrets layer; a rotation takes effect here
        with self._lock:
            if self._api is None or token != self._api_token:
                configuration = Configuration(host=self.host, access_token=token)
                configuration.retries = False
                configuration.connection_pool_maxsize = self.pool_size
                self._api = MessagingApi(ApiClient(configuration))
                self._api_token = token
            return self._api

    def push(self, to: str, content: LineContent, retry_key: str) -> SendResult:
        request = PushMessageRequest.from_dict(content.body(to))
        self.calls["push"] += 1
        try:
            response = self._client().push_message_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            )
        except ApiException as exc:
            return _accepted_earlier(exc)
        except Exception as exc:  # urllib3 timeouts and connection errors
            raise Transient(f"LINE unreachable ({type(exc).__name__})", delay=2.0) from exc
        sent = getattr(response.data, "sent_messages", None) or []
        message_id = sent[0].id if sent else _header(response.headers, "X-Line-Request-Id")
        return SendResult(provider_message_id=message_id)

    def multicast(self, to: list[str], content: LineContent, retry_key: str) -> SendResult:
        request = MulticastRequest.from_dict(content.body(to))
        self.calls["multicast"] += 1
        try:
            response = self._client().multicast_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            )
        except ApiException as exc:
            return _accepted_earlier(exc)
        except Exception as exc:
            raise Transient(f"LINE unreachable ({type(exc).__name__})", delay=2.0) from exc
        # Multicast answers `{}`: the request id is the only handle LINE gives.
        return SendResult(provider_message_id=_header(response.headers, "X-Line-Request-Id"))

    def reply(self, token: str, messages: list[dict[str, Any]]) -> list[str | None]:
        request = ReplyMessageRequest.from_dict({"replyToken": token, "messages": messages})
        self.calls["reply"] += 1
        try:
            response = self._client().reply_message_with_http_info(
                request, _request_timeout=self.timeout
            )
        except ApiException as exc:
            raise reply_decision(int(exc.status or 0), exc.body) from exc
        except ConnectTimeoutError as exc:  # and NewConnectionError: nothing went out
            raise Transient(f"LINE unreachable ({type(exc).__name__})", delay=2.0) from exc
        except Exception as exc:  # a read timeout, a reset after sending: it may be sent
            raise ReplyUnknown(f"LINE did not answer the reply ({type(exc).__name__})") from exc
        sent = getattr(response.data, "sent_messages", None) or []
        return [getattr(m, "id", None) for m in sent]


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _accepted_earlier(exc: ApiException) -> SendResult:
    """409 after a retry is success; everything else is an error to classify."""
    if exc.status == 409:
        accepted = _header(exc.headers, "X-Line-Accepted-Request-Id")
        if accepted:
            return SendResult(provider_message_id=accepted, accepted_earlier=True)
    raise classify(exc)


def classify(exc: ApiException) -> DeliveryError:
    """The SDK's error as the sender's decision (line_answers.decision)."""
    return decision(int(exc.status or 0), exc.body)
