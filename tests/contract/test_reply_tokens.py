"""The reply tokens the sender takes (kairos.store.reply_tokens), the same on both
backends: the first take wins, a later one learns who took it and whether LINE sent."""

from __future__ import annotations

from kairos.delivery.ports import EarlierTake
from kairos.store import keys
from kairos.store.codec import from_item
from kairos.store.reply_tokens import ReplyTokenStore
from tests.contract.conftest import START, Side


def test_the_first_take_wins_and_a_later_one_learns_who_took_it(side: Side) -> None:
    tokens = ReplyTokenStore(side.table, side.client("dynamodb"))
    assert tokens.take("nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", ["d-2", "d-1"], START) is None
    again = tokens.take("nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", ["d-3"], START)
    assert again == EarlierTake(frozenset({"d-1", "d-2"}), "taken")
    # Another token is another item
    assert tokens.take("b60d432864f44d079f6d8efe86cf404b", ["d-3"], START) is None


def test_a_token_line_sent_nothing_with_is_marked_unsent(side: Side) -> None:
    tokens = ReplyTokenStore(side.table, side.client("dynamodb"))
    tokens.take("rt-1", ["d-1"], START)
    tokens.unsent("rt-1")
    assert tokens.take("rt-1", ["d-1"], START) == EarlierTake(frozenset({"d-1"}), "unsent")


def test_the_item_keeps_no_token_and_expires_in_a_day(side: Side) -> None:
    ReplyTokenStore(side.table, side.client("dynamodb")).take("rt-secret", ["d-1"], START)
    item = side.client("dynamodb").get_item(
        TableName=side.table, Key={"pk": {"S": keys.reply_pk("rt-secret")}, "sk": {"S": "REPLY"}}
    )["Item"]
    values = from_item(item)
    assert "rt-secret" not in str(values)
    assert values["expires_at"] == int(START.timestamp()) + 86400
