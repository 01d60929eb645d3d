"""Every route writes what it should, through the real handler and the emulator."""

from __future__ import annotations

from kairos.ingest.routes import ROUTES
from kairos.store.members import MemberRepository
from tests.builders import (
    WebhookClient,
    canonical,
    follow,
    line_body,
    line_event,
    postback,
    shop_order,
    text_message,
)


def test_line_follow_creates_a_following_member(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    # Given a new friend following the brand's LINE account
    body = line_body(follow("U-amy", "01HQ-follow-1"))
    # When LINE posts the webhook
    answer = webhook.line(body)
    # Then a member exists, following, with the follow on the timeline
    assert answer.status == 200, answer.body
    member_id = members.find("line_user_id", "U-amy")
    assert member_id is not None
    member = members.get(member_id)
    assert member is not None
    assert member.profile["line_following"] is True
    assert member.profile["line_user_id"] == "U-amy"
    assert [e["kind"] for e in members.timeline(member_id)] == ["line.follow"]


def test_unfollow_then_unblock(webhook: WebhookClient, members: MemberRepository) -> None:
    webhook.line(line_body(follow("U-bob", "e1")))
    webhook.line(line_body(line_event("unfollow", "U-bob", "e2", ts=1_772_330_500_000)))
    member_id = members.find("line_user_id", "U-bob")
    assert member_id
    assert members.get(member_id).profile["line_following"] is False  # type: ignore[union-attr]
    webhook.line(line_body(follow("U-bob", "e3", unblocked=True, ts=1_772_330_600_000)))
    member = members.get(member_id)
    assert member is not None and member.profile["line_following"] is True
    kinds = [(e["kind"], e["data"]) for e in members.timeline(member_id)]
    assert kinds[-1] == ("line.follow", {"unblocked": True})


def test_messages_and_postbacks_reach_the_timeline(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    body = line_body(
        text_message("U-cat", "m1", "請問床墊保固幾年?"),
        postback("U-cat", "p1", "quiz=frappuccino-3", ts=1_772_330_401_000),
    )
    assert webhook.line(body).status == 200
    member_id = members.find("line_user_id", "U-cat")
    assert member_id
    timeline = members.timeline(member_id)
    assert [e["kind"] for e in timeline] == ["line.message", "line.postback"]
    assert timeline[1]["data"]["data"] == "quiz=frappuccino-3"


def test_unknown_line_event_types_are_acknowledged_and_ignored(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    body = line_body(
        line_event("beacon", "U-dan", "b1", beacon={"hwid": "d41d8cd98f", "type": "enter"})
    )
    answer = webhook.line(body)
    assert answer.status == 200
    assert answer.body["received"] == 0
    assert members.find("line_user_id", "U-dan") is None


def test_generic_order_updates_statistics(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    # Given a mattress order from a shop customer
    order = shop_order(
        "A1001", {"external_id": "shop-cust-42", "email": "amy@example.com"}, total=28800
    )
    # When the shop posts it
    assert webhook.order(order).status == 200
    # Then the member carries the purchase statistics
    member_id = members.find("email", "amy@example.com")
    assert member_id and members.find("external_id", "shop-cust-42") == member_id
    member = members.get(member_id)
    assert member is not None
    assert member.stats.order_count == 1
    assert member.stats.total_spent == 28800
    assert member.stats.category_counts == {"mattress": 1}
    assert member.stats.favorite_sku == "MAT-QUEEN"
    assert member.stats.weekday_counts == {"sun": 1}  # 2026-03-01 is a Sunday in Taipei


def test_cancelled_order_takes_its_statistics_back(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    customer = {"external_id": "shop-cust-9"}
    webhook.order(shop_order("A1", customer, total=1000))
    webhook.order(shop_order("A2", customer, total=500))
    webhook.order(shop_order("A2", customer, total=500, status="cancelled"))
    member = members.get(members.find("external_id", "shop-cust-9") or "")
    assert member is not None
    assert member.stats.order_count == 1
    assert member.stats.total_spent == 1000


def test_shopify_orders_create(webhook: WebhookClient, members: MemberRepository) -> None:
    payload = {
        "id": 820982911946154508,
        "email": "jon@example.com",
        "created_at": "2026-03-02T12:00:00-05:00",
        "total_price": "598.94",
        "currency": "TWD",
        "customer": {"id": 115310627314723954, "email": "jon@example.com", "first_name": "Jon"},
        "line_items": [
            {
                "sku": "IPOD2008PINK",
                "title": "IPod Nano",
                "quantity": 1,
                "price": "199.00",
                "product_type": "audio",
            },
            {"sku": "IPOD2008BLUE", "title": "IPod Nano", "quantity": 2, "price": "199.97"},
        ],
    }
    assert webhook.shopify(payload).status == 200
    member_id = members.find("external_id", "shopify-115310627314723954")
    assert member_id and members.find("email", "jon@example.com") == member_id
    member = members.get(member_id)
    assert member is not None
    assert member.stats.total_spent == 598.94
    assert member.stats.sku_counts == {"IPOD2008PINK": 1, "IPOD2008BLUE": 2}
    assert member.stats.favorite_sku == "IPOD2008BLUE"


def test_events_batch_links_identifiers_and_sets_profile(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    batch = [
        canonical("e-1", "line.follow", {"line_user_id": "U-eve"}),
        canonical(
            "e-2", "profile.updated", {"line_user_id": "U-eve", "email": "eve@example.com"},
            {"name": "Eve", "gender": "female", "birthday": "1990-02-28", "consent": {"email": True}},
            time="2026-03-01T10:05:00+08:00",
        ),
        canonical("e-3", "tag.added", {"email": "eve@example.com"}, {"tag": "vip"},
                  time="2026-03-01T10:06:00+08:00"),
    ]  # fmt: skip
    answer = webhook.events(batch)
    assert answer.status == 200, answer.body
    assert answer.body["applied"] == 3
    member_id = members.find("line_user_id", "U-eve")
    assert member_id and members.find("email", "eve@example.com") == member_id
    member = members.get(member_id)
    assert member is not None
    assert member.profile["name"] == "Eve"
    assert member.profile["consent"] == {"email": True}
    assert member.tags == ["vip"]
    assert member.identifiers == {"line_user_id": "U-eve", "email": "eve@example.com"}


def test_referral_is_credited_once_to_the_referrer(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    webhook.order(shop_order("R1", {"external_id": "shop-cust-7"}, total=100))
    referred = shop_order("R2", {"external_id": "shop-cust-8"}, total=200,
                          referred_by={"external_id": "shop-cust-7"})  # fmt: skip
    webhook.order(referred)
    webhook.order(shop_order("R3", {"external_id": "shop-cust-8"}, total=200,
                             referred_by={"external_id": "shop-cust-7"}))  # fmt: skip
    referrer = members.get(members.find("external_id", "shop-cust-7") or "")
    assert referrer is not None
    assert referrer.stats.referrals == 1


def test_profile_is_the_stream_source_with_the_last_event(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    webhook.events(
        canonical(
            "e-9", "appointment.completed", {"phone": "+886912345678"}, {"treatment": "cleaning"}
        )
    )
    member_id = members.find("phone", "+886912345678")
    item = members.client.get_item(
        TableName=members.table, Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}}
    )["Item"]
    assert item["last_event"]["M"]["type"]["S"] == "appointment.completed"
    assert item["last_event_id"]["S"] == "e-9"


def test_the_export_route_comes_before_the_member_route() -> None:
    # First match wins in the resolver and the local router: "export" is not a member id.
    get = [r for r in ROUTES if r.method == "GET"]
    export = next(i for i, r in enumerate(get) if r.view == "admin_export")
    member = next(i for i, r in enumerate(get) if r.view == "admin_member")
    assert export < member
    assert get[member].match("GET", "/admin/members/export") is not None  # why it matters
