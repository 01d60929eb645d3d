"""Bad input gets the right status, names the problem, and leaves the table unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kairos.ingest.signatures import sign_kairos, sign_line, sign_shopify
from kairos_dev.local.stack import LocalStack
from tests.builders import WebhookClient, canonical, follow, line_body, shop_order


def table_items(stack: LocalStack) -> list[dict[str, Any]]:
    # A scan is fine here: it is a test's look at the whole (tiny) table.
    client = stack.client("dynamodb")
    return list(client.scan(TableName=stack.tables["main"])["Items"])


def kairos_headers(stack: LocalStack, body: bytes) -> dict[str, str]:
    return {"X-Kairos-Signature": sign_kairos(body, stack.secrets.webhook_secret)}


GOOD_EVENT = canonical("e-1", "tag.added", {"email": "amy@example.com"}, {"tag": "vip"})
SHOPIFY = {
    "id": 820982911946154508, "created_at": "2026-03-02T12:00:00+08:00", "total_price": "10.00",
    "currency": "TWD", "customer": {"id": 7, "email": "amy@example.com"},
    "line_items": [{"sku": "TEA", "quantity": 1, "price": "10.00"}],
}  # fmt: skip


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _event(**changes: Any) -> dict[str, Any]:
    return {**GOOD_EVENT, **changes}


def _profile(data: dict[str, Any]) -> bytes:
    return _json(canonical("p-1", "profile.updated", {"email": "amy@example.com"}, data))


def _order(**changes: Any) -> bytes:
    return _json({**shop_order("A", {"email": "a@b.co"}), **changes})


def _shopify(**changes: Any) -> bytes:
    return _json({**SHOPIFY, **changes})


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def _line(*events: Any) -> bytes:
    return _json({"destination": "U", "events": list(events)})


DEEP_TEXT = ("[" * 100_000 + "]" * 100_000).encode()
RESERVED = [
    "line_following", "joined_at", "last_interaction_at", "unsubscribed", "email_status",
    "referred_by", "line_user_id", "external_id", "member_id",
]  # fmt: skip
CONTROL_IDS = [("id", _event(id="e\x00")), ("external_id", _event(member={"external_id": "c\x07"})),
               ("line_user_id", _event(member={"line_user_id": "U\n1"})),
               ("email", _event(member={"email": "a\x00@b.co"}))]  # fmt: skip

CASES: list[tuple[str, str, bytes, str, int, str]] = [
    # (case, path, body, signing, status, fragment of the JSON answer)
    ("missing signature", "/events", _json(GOOD_EVENT), "none", 401, "missing X-Kairos-Signature"),
    ("wrong signature", "/events", _json(GOOD_EVENT), "wrong", 401, "does not match"),
    ("line wrong signature", "/line/webhook", line_body(follow("U1", "x")), "wrong-line", 401, "X-Line-Signature"),
    ("malformed json", "/events", b'{"id": "e-1", ', "kairos", 400, "not JSON"),
    ("non utf-8", "/events", "{\"id\": \"é\"}".encode("latin-1"), "kairos", 400, "not UTF-8"),
    ("missing field", "/events", _json({k: v for k, v in GOOD_EVENT.items() if k != "time"}), "kairos", 400, "time: Field required"),
    ("wrong type", "/events", _json(_event(time=12)), "kairos", 400, "time"),
    ("naive time", "/events", _json(_event(time="2026-03-01T10:00:00")), "kairos", 400, "timezone"),
    ("unknown identifier", "/events", _json(_event(member={"wechat_id": "w1"})), "kairos", 400, "member.wechat_id"),
    ("no identifier", "/events", _json(_event(member={})), "kairos", 400, "at least one"),
    ("bad email", "/events", _json(_event(member={"email": "not-an-email"})), "kairos", 400, "member.email"),
    ("bad phone", "/events", _json(_event(member={"phone": "12"})), "kairos", 400, "member.phone"),
    ("member not object", "/events", _json(_event(member="amy")), "kairos", 400, "member"),
    ("unknown type", "/events", _json(_event(type="Order Created")), "kairos", 400, "unknown event type"),
    ("type too long", "/events", _json(_event(type="a." + "b" * 200)), "kairos", 400, "type"),
    ("unknown top-level field", "/events", _json(_event(extra=1)), "kairos", 400, "extra"),
    ("id too long", "/events", _json(_event(id="e" * 257)), "kairos", 400, "id"),
    ("empty id", "/events", _json(_event(id="")), "kairos", 400, "id"),
    ("typed data", "/events", _json(canonical("e-2", "order.created", {"email": "a@b.co"}, {"order_id": "1"})), "kairos", 400, "data.total"),
    ("negative qty", "/events", _json(canonical("e-2", "order.created", {"email": "a@b.co"}, {"order_id": "1", "total": 1, "items": [{"sku": "A", "qty": -1}]})), "kairos", 400, "qty"),
    ("total as Infinity string", "/events", _json(canonical("e-2", "order.created", {"email": "a@b.co"}, {"order_id": "1", "total": "Infinity"})), "kairos", 400, "data.total"),
    ("tag missing", "/events", _json(_event(data={})), "kairos", 400, "data.tag"),
    ("tag too long", "/events", _json(_event(data={"tag": "t" * 101})), "kairos", 400, "data.tag"),
    ("unsubscribe channel", "/events", _json(canonical("u-1", "unsubscribed", {"email": "a@b.co"}, {"channel": "fax"})), "kairos", 400, "data.channel"),
    ("coupon far future", "/events", _json(canonical("c-1", "coupon.issued", {"email": "a@b.co"}, {"coupon_id": "c", "expires_at": "9999-01-01T00:00:00+00:00"})), "kairos", 400, "1970 and 2100"),
    ("bad batch item", "/events", _json([GOOD_EVENT, _event(id="")]), "kairos", 400, "[1].id"),
    ("every problem listed", "/events", _json([_event(id=""), GOOD_EVENT, _event(time="x")]), "kairos", 400, '"index": 2, "field": "time"'),
    ("too many", "/events", _json([GOOD_EVENT] * 101), "kairos", 400, "at most 100"),
    ("empty batch", "/events", b"[]", "kairos", 400, "no events"),
    ("null body", "/events", b"null", "kairos", 400, "dictionary"),
    ("number body", "/events", b"42", "kairos", 400, "dictionary"),
    ("year 9999", "/events", _json(_event(time="9999-12-31T23:59:59+00:00")), "kairos", 400, "1970 and 2100"),
    ("year 1969", "/events", _json(_event(time="1969-12-31T00:00:00+00:00")), "kairos", 400, "1970 and 2100"),
    ("year 2100", "/events", _json(_event(time="2100-01-01T00:00:00+00:00")), "kairos", 400, "1970 and 2100"),
    ("Infinity", "/events", b'{"id": "e", "type": "x.y", "time": "2026-03-01T10:00:00+08:00", "member": {"email": "a@b.co"}, "data": {"v": Infinity}}', "kairos", 400, "Infinity"),
    ("NaN", "/events", b'{"id": "e", "type": "x.y", "time": "2026-03-01T10:00:00+08:00", "member": {"email": "a@b.co"}, "data": {"v": NaN}}', "kairos", 400, "NaN"),
    ("1e309", "/events", b'{"id": "e", "type": "order.created", "time": "2026-03-01T10:00:00+08:00", "member": {"email": "a@b.co"}, "data": {"order_id": "1", "total": 1e309}}', "kairos", 400, "out of range"),
    ("1e200 custom value", "/events", _json(_event(type="x.y", data={"v": 1e200})), "kairos", 400, "out of range"),
    ("50-digit int", "/events", _json(_event(type="x.y", data={"v": 10**50})), "kairos", 400, "digits"),
    ("nested 25 levels", "/events", _json(_event(type="x.y", data=_nested(25))), "kairos", 400, "nested deeper"),
    ("nested 100000 levels", "/events", DEEP_TEXT, "kairos", 400, "nested deeper"),
    ("event over 64 KB", "/events", _json(_event(type="x.y", data={"blob": "x" * 70_000})), "kairos", 400, "the limit is 65536"),
    ("one big event in a batch", "/events", _json([GOOD_EVENT, _event(id="e-2", type="x.y", data={"blob": "x" * 70_000})]), "kairos", 400, "[1]"),
    ("profile invalid email", "/events", _profile({"email": "nope"}), "kairos", 400, "data.email"),
    ("profile invalid phone", "/events", _profile({"phone": "0912"}), "kairos", 400, "data.phone"),
    ("valid event then invalid profile", "/events", _json([GOOD_EVENT, canonical("p-2", "profile.updated", {"email": "amy@example.com"}, {"email": "nope"})]), "kairos", 400, "[1].data.email"),
    ("profile bad birthday", "/events", _profile({"birthday": "2026-02-30"}), "kairos", 400, "data.birthday"),
    ("profile consent unknown channel", "/events", _profile({"consent": {"fax": True}}), "kairos", 400, "data.consent"),
    *[(f"reserved {field}", "/events", _profile({field: "x"}), "kairos", 400, f"data.{field}") for field in RESERVED],
    *[(f"control character in {name}", "/events", _json(body), "kairos", 400, name) for name, body in CONTROL_IDS],
    ("reply token with a control character", "/events", _json(_event(type="line.follow", data={}, reply_token="rt\x00")), "kairos", 400, "reply_token"),
    ("reply token too long", "/events", _json(_event(type="line.follow", data={}, reply_token="r" * 257)), "kairos", 400, "reply_token"),
    ("empty reply token", "/events", _json(_event(type="line.follow", data={}, reply_token="")), "kairos", 400, "reply_token"),
    ("order missing customer", "/shop/orders", _json({k: v for k, v in shop_order("A", {"email": "a@b.co"}).items() if k != "customer"}), "kairos", 400, "customer"),
    ("order negative total", "/shop/orders", _json(shop_order("A", {"email": "a@b.co"}, total=-1)), "kairos", 400, "total"),
    ("order not JSON", "/shop/orders", b"<xml/>", "kairos", 400, "not JSON"),
    ("order unsigned", "/shop/orders", _order(), "none", 401, "X-Kairos-Signature"),
    ("order wrong signature", "/shop/orders", _order(), "wrong", 401, "does not match"),
    ("order Infinity total", "/shop/orders", _order(total="Infinity"), "kairos", 400, "total"),
    ("order 1e309 total", "/shop/orders", b'{"order_id": "A", "created_at": "2026-03-01T10:00:00+08:00", "customer": {"email": "a@b.co"}, "total": 1e309}', "kairos", 400, "out of range"),
    ("order year 9999", "/shop/orders", _order(created_at="9999-01-01T00:00:00+00:00"), "kairos", 400, "1970 and 2100"),
    ("order id control character", "/shop/orders", _order(order_id="A\x00"), "kairos", 400, "order_id"),
    ("order id too long", "/shop/orders", _order(order_id="A" * 129), "kairos", 400, "order_id"),
    ("order bad status", "/shop/orders", _order(status="shipped"), "kairos", 400, "status"),
    ("order bad currency", "/shop/orders", _order(currency="TW"), "kairos", 400, "currency"),
    ("order bad source", "/shop/orders", _order(source="My Shop"), "kairos", 400, "source"),
    ("order unknown field", "/shop/orders", _order(coupon="X"), "kairos", 400, "coupon"),
    ("order bad customer email", "/shop/orders", _order(customer={"email": "x"}), "kairos", 400, "customer.email"),
    ("order empty referrer", "/shop/orders", _order(referred_by={}), "kairos", 400, "referred_by"),
    ("order item without sku", "/shop/orders", _order(items=[{"qty": 1}]), "kairos", 400, "items.0.sku"),
    ("order nested deep", "/shop/orders", _order(note=_nested(30)), "kairos", 400, "nested deeper"),
    ("order over 64 KB", "/shop/orders", _order(items=[{"sku": "A", "name": "n" * 500}] * 200), "kairos", 400, "the limit is 65536"),
    ("shopify wrong signature", "/shop/orders", _shopify(), "wrong-shopify", 401, "Shopify"),
    ("shopify no customer", "/shop/orders", _shopify(customer=None), "shopify", 400, "customer"),
    ("shopify unusable contacts only", "/shop/orders", _shopify(customer={"email": "x", "phone": "y"}), "shopify", 400, "customer"),
    ("shopify Infinity total", "/shop/orders", _shopify(total_price="Infinity"), "shopify", 400, "total_price"),
    ("shopify year 9999", "/shop/orders", _shopify(created_at="9999-12-31T00:00:00+00:00"), "shopify", 400, "1970 and 2100"),
    ("shopify missing id", "/shop/orders", _json({k: v for k, v in SHOPIFY.items() if k != "id"}), "shopify", 400, "id"),
    ("shopify line items not a list", "/shop/orders", _shopify(line_items={"a": 1}), "shopify", 400, "line_items"),
    ("shopify negative quantity", "/shop/orders", _shopify(line_items=[{"sku": "A", "quantity": -2}]), "shopify", 400, "quantity"),
    ("line no events", "/line/webhook", _json({"destination": "U"}), "line", 400, "events"),
    ("line events not a list", "/line/webhook", _json({"events": {"a": 1}}), "line", 400, "events"),
    ("line not JSON", "/line/webhook", b"{", "line", 400, "not JSON"),
    ("line nested deep", "/line/webhook", _json({"events": [], "x": _nested(30)}), "line", 400, "nested deeper"),
    ("line Infinity", "/line/webhook", b'{"events": [], "x": Infinity}', "line", 400, "Infinity"),
    ("line unsigned", "/line/webhook", line_body(follow("U1", "x")), "none", 401, "X-Line-Signature"),
    # A verified LINE body is answered 200 (LINE redelivers on anything else); its
    # malformed events are reported, and nothing of them is written.
    ("line bad event", "/line/webhook", _line({"type": "follow"}), "line", 200, '"index": 0, "field": "timestamp"'),
    ("line event not an object", "/line/webhook", _line(1), "line", 200, "not an object"),
    ("line timestamp year 9999", "/line/webhook", _line({**follow("U1", "w1"), "timestamp": 253402300799000}), "line", 200, "timestamp"),
    ("line timestamp as text", "/line/webhook", _line({**follow("U1", "w1"), "timestamp": "soon"}), "line", 200, "timestamp"),
    ("line type missing", "/line/webhook", _line({k: v for k, v in follow("U1", "w1").items() if k != "type"}), "line", 200, "type"),
    ("line user id control character", "/line/webhook", _line(follow("U\x001", "w1")), "line", 200, "source.userId"),
    ("line event over 64 KB", "/line/webhook", _line({**follow("U1", "w1"), "pad": "x" * 70_000}), "line", 200, "65536"),
    ("line group member without user id", "/line/webhook", _line({**follow("U1", "w1"), "source": {"type": "group", "groupId": "G"}}), "line", 200, '"not_acted_on": 1'),
    ("line unknown type", "/line/webhook", _line({**follow("U1", "w1"), "type": "somethingNew"}), "line", 200, '"not_acted_on": 1'),
    ("oversized", "/events", b"[" + b" " * (1024 * 1024 + 10) + b"]", "kairos", 413, "limit"),
]  # fmt: skip


def test_the_table_has_at_least_80_rows() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize(
    ("case", "path", "body", "signing", "status", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_and_nothing_is_written(
    webhook: WebhookClient, stack: LocalStack,
    case: str, path: str, body: bytes, signing: str, status: int, fragment: str,
) -> None:  # fmt: skip
    headers: dict[str, str] = {}
    if signing == "kairos":
        headers = kairos_headers(stack, body)
    elif signing == "wrong":
        headers = {"X-Kairos-Signature": "sha256=" + "0" * 64}
    elif signing == "line":
        headers = {"X-Line-Signature": sign_line(body, stack.secrets.line_channel_secret)}
    elif signing == "wrong-line":
        headers = {"X-Line-Signature": sign_line(body, "another-secret")}
    elif signing == "shopify":
        headers = {"X-Shopify-Hmac-Sha256": sign_shopify(body, stack.secrets.webhook_secret)}
    elif signing == "wrong-shopify":
        headers = {"X-Shopify-Hmac-Sha256": sign_shopify(body, "another-secret")}

    answer = webhook.post(path, body, headers)

    assert answer.status == status, answer.body
    if status != 200:
        assert set(answer.body) <= {"error", "problems"} and answer.body["error"]
    assert fragment in json.dumps(answer.body, ensure_ascii=False), answer.body
    assert table_items(stack) == []


def test_a_good_request_after_bad_ones_still_works(
    webhook: WebhookClient, stack: LocalStack
) -> None:
    webhook.post("/events", _json(GOOD_EVENT), {})
    assert webhook.events(GOOD_EVENT).status == 200
    assert len(table_items(stack)) > 0
