"""Tracked links and unsubscribe links through the webhook: signed with the tracking key
(never the webhook key), expiring, http(s) only; GET on an unsubscribe link only asks,
POST (RFC 8058 one-click, or the page's button) unsubscribes."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from kairos.clock import from_epoch_ms
from kairos.delivery.tracking import CLICK_LIFETIME, UNSUBSCRIBE_LIFETIME, _sign, make_token
from kairos.store.members import MemberRepository
from kairos_dev.local.stack import LocalStack
from tests.builders import NOW_MS, WebhookClient, canonical

SENT = from_epoch_ms(NOW_MS) - timedelta(days=1)
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


def _member(webhook: WebhookClient, members: MemberRepository) -> str:
    webhook.events(
        canonical("seed", "line.follow", {"line_user_id": "U-click", "email": "c@example.com"})
    )
    member_id = members.find("line_user_id", "U-click")
    assert member_id
    return member_id


def _key(stack: LocalStack) -> bytes:
    key: bytes = stack.secrets.tracking_key.encode()
    return key


def _kinds(members: MemberRepository, member_id: str) -> list[str]:
    return [e["kind"] for e in members.timeline(member_id)]


def test_a_click_is_recorded_and_redirected(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    token = make_token(_key(stack), "d-42", member_id, "https://shop.example/c/30", issued_at=SENT)
    status, headers, _ = webhook.get(f"/t/{token}")
    assert status == 302
    assert headers["Location"] == "https://shop.example/c/30"
    clicked = [e for e in members.timeline(member_id) if e["kind"] == "message.clicked"]
    assert [e["data"]["delivery_id"] for e in clicked] == ["d-42"]


def test_a_forged_or_foreign_token_is_refused_and_writes_nothing(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    forged = make_token(b"someone-else", "d-42", member_id, "https://evil.example", issued_at=SENT)
    assert webhook.get(f"/t/{forged}")[0] == 404
    # Whoever can sign webhook requests cannot mint links: the webhook key is not the
    # tracking key, and the webhook never falls back to it.
    assert stack.secrets.webhook_secret != stack.secrets.tracking_key
    webhook_signed = make_token(
        stack.secrets.webhook_secret.encode(), "d-42", member_id, "https://evil.example",
        issued_at=SENT,
    )  # fmt: skip
    assert webhook.get(f"/t/{webhook_signed}")[0] == 404
    unsubscribe_kind = make_token(_key(stack), "d-42", member_id, "email", "u", issued_at=SENT)
    assert webhook.get(f"/t/{unsubscribe_kind}")[0] == 404
    assert _kinds(members, member_id) == ["line.follow"]


def _signed(stack: LocalStack, payload: list[object]) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{raw}.{_sign(_key(stack), raw)}"


@pytest.mark.parametrize("target", ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>"])  # fmt: skip
def test_a_signed_token_to_a_script_target_never_redirects(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack, target: str
) -> None:
    member_id = _member(webhook, members)
    expires = NOW_MS // 1000 + 3600
    status, headers, _ = webhook.get(f"/t/{_signed(stack, ['t', 'd-1', member_id, target, expires])}")  # fmt: skip
    assert status == 404 and "Location" not in headers
    assert _kinds(members, member_id) == ["line.follow"]


def test_an_expired_link_is_gone_and_writes_nothing(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    long_ago = SENT - CLICK_LIFETIME
    click = make_token(_key(stack), "d-1", member_id, "https://shop.example/", issued_at=long_ago)
    status, headers, _ = webhook.get(f"/t/{click}")
    assert status == 410 and "Location" not in headers
    # An unsubscribe link from the same old message still works …
    unsubscribe = make_token(_key(stack), "d-1", member_id, "email", "u", issued_at=long_ago)
    assert webhook.get(f"/u/{unsubscribe}")[0] == 200
    # … until its own, longer lifetime is over.
    older = SENT - UNSUBSCRIBE_LIFETIME
    expired = make_token(_key(stack), "d-1", member_id, "email", "u", issued_at=older)
    assert webhook.get(f"/u/{expired}")[0] == 410
    assert webhook.post(f"/u/{expired}", b"List-Unsubscribe=One-Click", ONE_CLICK).status == 410
    assert _kinds(members, member_id) == ["line.follow"]


def test_opening_an_unsubscribe_link_only_asks(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    # Mail scanners open every link in a message: a GET must not unsubscribe anyone.
    member_id = _member(webhook, members)
    token = make_token(_key(stack), "d-7", member_id, "email", "u", issued_at=SENT)
    status, headers, page = webhook.get(f"/u/{token}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<form method="post">' in page and "取消訂閱" in page and "Unsubscribe" in page
    assert headers["Cache-Control"] == "no-store"
    member = members.get(member_id)
    assert member is not None and not member.profile.get("unsubscribed")
    assert _kinds(members, member_id) == ["line.follow"]


def test_one_click_unsubscribe(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    token = make_token(_key(stack), "d-7", member_id, "email", "u", issued_at=SENT)
    answer = webhook.post(f"/u/{token}", b"List-Unsubscribe=One-Click", ONE_CLICK)
    assert answer.status == 200
    assert "You have been unsubscribed" in answer.body["raw"]
    member = members.get(member_id)
    assert member is not None
    assert member.profile["unsubscribed"] == {"email": True}


def test_an_unknown_channel_is_not_a_link(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    expires = NOW_MS // 1000 + 3600
    token = _signed(stack, ["u", "d-7", member_id, "carrier-pigeon", expires])
    assert webhook.get(f"/u/{token}")[0] == 404
    assert webhook.post(f"/u/{token}", b"List-Unsubscribe=One-Click", ONE_CLICK).status == 404
    assert _kinds(members, member_id) == ["line.follow"]
