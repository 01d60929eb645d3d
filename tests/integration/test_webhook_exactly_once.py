"""The same event twice has one effect; concurrent events for one member lose nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kairos.store.members import MemberRepository
from tests.builders import WebhookClient, canonical, follow, line_body, shop_order


def test_redelivered_line_event_has_no_second_effect(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    body = line_body(follow("U-amy", "01HQ-same"))
    first = webhook.line(body)
    second = webhook.line(body)
    assert (first.body["applied"], second.body["duplicates"]) == (1, 1)
    member_id = members.find("line_user_id", "U-amy")
    assert member_id
    assert len(members.timeline(member_id)) == 1
    assert members.get(member_id).version == 1  # type: ignore[union-attr]


def test_the_same_order_twice_counts_once(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    order = shop_order("A1001", {"external_id": "c-1"}, total=1280)
    webhook.order(order)
    webhook.order(order)
    # The same order under another canonical event id is still one order.
    webhook.events(canonical("other-id", "order.created", {"external_id": "c-1"},
                             {"order_id": "A1001", "total": 1280}))  # fmt: skip
    member = members.get(members.find("external_id", "c-1") or "")
    assert member is not None
    assert member.stats.order_count == 1
    assert member.stats.total_spent == 1280


def test_twenty_concurrent_events_for_one_member_lose_nothing(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    # Given a known member
    webhook.events(canonical("seed", "line.follow", {"external_id": "busy"}))
    events = [
        canonical(f"ord-{i}", "order.created", {"external_id": "busy"},
                  {"order_id": f"O{i}", "total": 100 + i, "items": [{"sku": f"S{i % 3}", "qty": 1}]})
        for i in range(10)
    ] + [canonical(f"tag-{i}", "tag.added", {"external_id": "busy"}, {"tag": f"t{i}"}) for i in range(10)]  # fmt: skip

    # When all twenty arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(webhook.events, events))

    # Then every one applied and the member reflects all of them
    assert [a.status for a in answers] == [200] * 20
    member = members.get(members.find("external_id", "busy") or "")
    assert member is not None
    assert member.stats.order_count == 10
    assert member.stats.total_spent == sum(100 + i for i in range(10))
    assert member.tags == sorted(f"t{i}" for i in range(10))
    assert member.version == 21
    assert len(members.timeline(member.member_id)) == 21
