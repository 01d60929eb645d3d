"""The links Kairos puts in messages (kairos.ingest.routes `t/`, `u/`): a tracked link
records `message.clicked` and sends the member on; an unsubscribe link shows a page to
confirm and takes RFC 8058's one-click POST. Tokens are signed with the tracking key."""

from __future__ import annotations

from collections.abc import Callable

import collect_views
import current_request as current
from aws_lambda_powertools.event_handler import Response

from kairos.clock import from_epoch_ms
from kairos.delivery.tracking import BadToken, ExpiredToken, Link, read_token
from kairos.models.events import CanonicalEvent, MemberRef


def _link_page(status: int, title: str, body: str) -> Response[str]:
    """A small bilingual page; never cached, and the token never leaves as a referrer."""
    page = (
        f'<!doctype html><html lang="zh-Hant"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><body>{body}</body></html>"
    )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=page,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


UNKNOWN_LINK = (404, "連結無效 Unknown link", "<p>此連結無效。This link is not valid.</p>")
EXPIRED_LINK = (410, "連結已過期 Link expired", "<p>此連結已過期。This link has expired.</p>")


def _link(token: str, kind: str) -> Link | Response[str]:
    """The link a token stands for, or the page that says why not: 404 for a token we
    did not issue with the tracking key (forged, signed with another key, a target that
    is not http(s), an unknown channel, the wrong kind), 410 for an expired one."""
    now = current.now()
    try:
        link = read_token(current.services().tracking_key(), token, now)
    except ExpiredToken:
        return _link_page(*EXPIRED_LINK)
    except BadToken:
        return _link_page(*UNKNOWN_LINK)
    if link.kind != kind:
        return _link_page(*UNKNOWN_LINK)
    return link


def _link_event(link: Link) -> CanonicalEvent | None:
    """The event a used link means, for its member; None when the member is gone."""
    member = current.services().members.get(link.member_id)
    if member is None or not member.identifiers:
        return None
    now_ms = current.event().request_context.request_time_epoch
    if link.kind == "t":
        event_type, data = "message.clicked", {"delivery_id": link.delivery_id, "url": link.url}
    else:
        event_type, data = "unsubscribed", {"delivery_id": link.delivery_id, "channel": link.url}
    return CanonicalEvent(
        id=f"{event_type}-{link.delivery_id}-{now_ms}",
        type=event_type,
        time=from_epoch_ms(now_ms),
        member=MemberRef.model_validate(member.identifiers),
        data=data,
    )


def _recorded(token: str, kind: str) -> Link | Response[str]:
    """The link once its event (click or unsubscribe) is applied, or the page saying why
    it was not."""
    link = _link(token, kind)
    if isinstance(link, Response):
        return link
    event = _link_event(link)
    if event is None:
        return _link_page(*UNKNOWN_LINK)
    current.apply([event], namespace="link")
    return link


def click(token: str) -> Response[str]:
    """A tracked link: record `message.clicked`, then send the member on (302) to the
    http(s) target signed when the message was rendered."""
    link = _recorded(token, "t")
    if isinstance(link, Response):
        return link
    now = current.now()
    target = collect_views.landing(current.services(), link.url, link.member_id, now)
    return Response(
        status_code=302, content_type="text/plain", body="", headers={"Location": target}
    )


UNSUBSCRIBE_CONFIRM = (
    "取消訂閱 Unsubscribe",
    "<p>確定不再收到這類訊息嗎？Stop receiving these messages?</p>"
    '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
    '<button type="submit">取消訂閱 Unsubscribe</button></form>',
)
UNSUBSCRIBED = (
    "已取消訂閱 Unsubscribed",
    "<p>您已取消訂閱，之後不會再收到這類訊息。You have been unsubscribed.</p>",
)


def unsubscribe_page(token: str) -> Response[str]:
    """The link in the message: a confirmation page whose button POSTs. A GET changes
    nothing, so mail scanners that open every link unsubscribe nobody."""
    link = _link(token, "u")
    if isinstance(link, Response):
        return link
    return _link_page(200, *UNSUBSCRIBE_CONFIRM)


def unsubscribe(token: str) -> Response[str]:
    """Unsubscribe: RFC 8058 one-click (`List-Unsubscribe=One-Click`, sent by mail
    clients) and the confirmation page's button."""
    link = _recorded(token, "u")
    if isinstance(link, Response):
        return link
    return _link_page(200, *UNSUBSCRIBED)


VIEWS: dict[str, Callable[[str], Response[str]]] = {
    "click": click,
    "unsubscribe_page": unsubscribe_page,
    "unsubscribe": unsubscribe,
}
