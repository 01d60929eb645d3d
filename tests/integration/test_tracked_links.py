"""Tracked links and one-click unsubscribe through the webhook."""

from __future__ import annotations

from kairos.delivery.tracking import make_token
from kairos.store.members import MemberRepository
from kairos_dev.local.stack import LocalStack
from tests.builders import WebhookClient, canonical


def _member(webhook: WebhookClient, members: MemberRepository) -> str:
    webhook.events(
        canonical("seed", "line.follow", {"line_user_id": "U-click", "email": "c@example.com"})
    )
    member_id = members.find("line_user_id", "U-click")
    assert member_id
    return member_id


def test_a_click_is_recorded_and_redirected(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    token = make_token(
        stack.secrets.webhook_secret.encode(), "d-42", member_id, "https://shop.example/c/30"
    )
    status, headers, _ = webhook.get(f"/t/{token}")
    assert status == 302
    assert headers["Location"] == "https://shop.example/c/30"
    clicked = [e for e in members.timeline(member_id) if e["kind"] == "message.clicked"]
    assert [e["data"]["delivery_id"] for e in clicked] == ["d-42"]


def test_a_forged_or_foreign_token_is_refused_and_writes_nothing(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    forged = make_token(b"someone-else", "d-42", member_id, "https://evil.example")
    assert webhook.get(f"/t/{forged}")[0] == 404
    unsubscribe_kind = make_token(
        stack.secrets.webhook_secret.encode(), "d-42", member_id, "email", kind="u"
    )
    assert webhook.get(f"/t/{unsubscribe_kind}")[0] == 404
    assert [e["kind"] for e in members.timeline(member_id)] == ["line.follow"]


def test_one_click_unsubscribe(
    webhook: WebhookClient, members: MemberRepository, stack: LocalStack
) -> None:
    member_id = _member(webhook, members)
    token = make_token(stack.secrets.webhook_secret.encode(), "d-7", member_id, "email", kind="u")
    answer = webhook.post(f"/u/{token}", b"List-Unsubscribe=One-Click",
                          {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert answer.status == 200
    member = members.get(member_id)
    assert member is not None
    assert member.profile["unsubscribed"] == {"email": True}
