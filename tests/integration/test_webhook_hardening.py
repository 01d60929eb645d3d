"""Ingest holds against real senders: every LINE event type through the signed route,
dedupe keys namespaced by source, an answer for every failure, retention from ingest
time, and emulator transactions that are all or nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kairos.store.members import MemberRepository
from kairos_dev.local.stack import LocalStack
from tests.builders import NOW_MS, WebhookClient, canonical, follow, line_body, line_event
from tests.line_payloads import ACTED_ON, NOT_ACTED_ON


def test_every_documented_line_event_through_the_signed_route(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    body = line_body(*[event for event, _ in ACTED_ON], *NOT_ACTED_ON)
    answer = webhook.line(body)
    assert answer.status == 200, answer.body
    assert answer.body["received"] == len(ACTED_ON)
    assert answer.body["applied"] == len(ACTED_ON)
    assert answer.body["not_acted_on"] == len(NOT_ACTED_ON)
    assert answer.body["malformed"] == []
    again = webhook.line(body)
    assert again.body["duplicates"] == len(ACTED_ON)


def test_malformed_line_events_do_not_hold_back_valid_ones(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    body = json.dumps({"events": [{"type": "follow"}, follow("U-ok", "w-ok")]}).encode()
    answer = webhook.line(body)
    assert answer.status == 200 and answer.body["applied"] == 1
    assert answer.body["malformed"][0]["index"] == 0
    assert members.find("line_user_id", "U-ok") is not None


def test_a_canonical_id_equal_to_a_platform_id_is_not_a_duplicate(
    webhook: WebhookClient,
) -> None:
    # A brand's own event happens to use the id a Shopify order gets.
    crafted = canonical("shopify:unknown:5", "x.y", {"email": "amy@example.com"})
    assert webhook.events(crafted).body["applied"] == 1
    order = {"id": 5, "created_at": "2026-03-02T12:00:00+08:00", "total_price": "10.00",
             "customer": {"email": "amy@example.com"}}  # fmt: skip
    answer = webhook.shopify(order)
    assert answer.status == 200 and answer.body["applied"] == 1, answer.body
    line = webhook.line(line_body(follow("U-x", "e-9")))
    same_id = webhook.events(canonical("e-9", "x.y", {"line_user_id": "U-x"}))
    assert line.body["applied"] == 1 and same_id.body["applied"] == 1


def test_an_unexpected_failure_is_a_json_500_with_a_request_id(
    webhook: WebhookClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(webhook.module.current, "ingest", explode)
    answer = webhook.events(canonical("e-1", "x.y", {"email": "a@b.co"}))
    assert answer.status == 500
    assert answer.body["request_id"] and "boom" not in json.dumps(answer.body)


def test_timeline_retention_counts_from_ingest_time(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    old = canonical("old-1", "x.y", {"email": "a@b.co"}, time="2024-01-01T00:00:00+00:00")
    assert webhook.events(old).status == 200
    member_id = members.find("email", "a@b.co")
    assert member_id is not None
    [entry] = members.timeline(member_id)
    assert entry["expires_at"] > NOW_MS // 1000 + 700 * 86400


def test_an_emulator_transaction_failing_for_any_reason_writes_nothing(
    stack: LocalStack,
) -> None:
    client = stack.client("dynamodb")
    table = stack.tables["main"]
    good = {"Put": {"TableName": table, "Item": {"pk": {"S": "A"}, "sk": {"S": "1"}}}}
    bad = {"Put": {"TableName": table, "Item": {"pk": {"S": "B"}, "sk": {"N": "1"}}}}
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[good, bad])
    assert client.scan(TableName=table)["Items"] == []


def test_line_redelivered_late_does_not_refollow(
    webhook: WebhookClient, members: MemberRepository
) -> None:
    webhook.line(line_body(line_event("unfollow", "U-late", "e2", ts=NOW_MS + 60_000)))
    late = follow("U-late", "e1", ts=NOW_MS)
    late["deliveryContext"] = {"isRedelivery": True}
    webhook.line(line_body(late))
    member_id = members.find("line_user_id", "U-late")
    assert member_id is not None
    member = members.get(member_id)
    assert member is not None and member.profile["line_following"] is False
