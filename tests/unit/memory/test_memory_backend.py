"""What only the memory backend does: TTL on the caller's clock, and DynamoDB's own
refusals for expressions outside the grammar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from kairos.clock import FixedClock
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.memory.expressions import ExpressionError, parse_condition, parse_update

START = datetime(2026, 3, 1, tzinfo=UTC)


def backend() -> tuple[MemoryBackend, FixedClock, str]:
    clock = FixedClock(START)
    memory = MemoryBackend(clock)
    table = memory.create_tables("u")["main"]
    return memory, clock, table


def test_expired_items_go_when_the_clock_passes_their_time() -> None:
    # Given an item that expires in an hour and one that never expires
    memory, _, table = backend()
    ddb = memory.client("dynamodb")
    expires = int((START + timedelta(hours=1)).timestamp())
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "EVENT#e1"}, "sk": {"S": "EVENT"}, "expires_at": {"N": str(expires)}},
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "MEMBER#m"}, "sk": {"S": "PROFILE"}})
    # When time passes only up to the expiry, nothing goes
    memory.expire(START + timedelta(minutes=59))
    assert "Item" in ddb.get_item(
        TableName=table, Key={"pk": {"S": "EVENT#e1"}, "sk": {"S": "EVENT"}}
    )
    # When it passes beyond, the expired item goes, by the service (as TTL deletes show)
    memory.expire(START + timedelta(hours=2))
    assert "Item" not in ddb.get_item(
        TableName=table, Key={"pk": {"S": "EVENT#e1"}, "sk": {"S": "EVENT"}}
    )
    removal = memory.aws.dynamodb.tables[table].stream[-1]
    assert removal.event_name == "REMOVE" and removal.by_ttl
    assert len(memory.aws.dynamodb.tables[table]) == 1


def test_an_item_rewritten_with_a_later_expiry_stays() -> None:
    memory, _, table = backend()
    ddb = memory.client("dynamodb")
    for hours in (1, 5):
        at = int((START + timedelta(hours=hours)).timestamp())
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "LIMIT#x"}, "sk": {"S": "LIMIT"}, "expires_at": {"N": str(at)}},
        )
    memory.expire(START + timedelta(hours=2))
    assert "Item" in ddb.get_item(
        TableName=table, Key={"pk": {"S": "LIMIT#x"}, "sk": {"S": "LIMIT"}}
    )


@pytest.mark.parametrize(
    "text",
    ["pk = ", "attribute_exists(", "a = :v AND", "a === :v", "(a = :v", "a BETWEEN :x"],
)
def test_malformed_conditions_are_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_condition(text)


@pytest.mark.parametrize("text", ["SET", "SET a", "MOVE a :v", "ADD a", ""])
def test_malformed_updates_are_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_update(text)


def test_an_undefined_value_is_a_validation_error() -> None:
    memory, _, table = backend()
    with pytest.raises(ClientError) as refused:
        memory.client("dynamodb").put_item(
            TableName=table,
            Item={"pk": {"S": "A"}, "sk": {"S": "B"}},
            ConditionExpression="version = :missing",
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_requests_are_counted_by_operation() -> None:
    memory, _, table = backend()
    ddb = memory.client("dynamodb")
    ddb.put_item(TableName=table, Item={"pk": {"S": "A"}, "sk": {"S": "B"}})
    ddb.get_item(TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "B"}})
    ddb.get_item(TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "B"}})
    counts = memory.aws.requests()
    assert counts["dynamodb.PutItem"] == 1 and counts["dynamodb.GetItem"] == 2
