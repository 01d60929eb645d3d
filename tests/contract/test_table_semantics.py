"""DynamoDB's semantics that the stores rely on, the same on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.contract.conftest import Side


def put(side: Side, pk: str, sk: str, **values: Any) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}}
    for name, value in values.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    side.client("dynamodb").put_item(TableName=side.table, Item=item)


def get(side: Side, pk: str, sk: str) -> dict[str, Any] | None:
    response = side.client("dynamodb").get_item(
        TableName=side.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def test_a_conditional_put_refuses_an_existing_item_and_can_return_it(side: Side) -> None:
    # Given an item
    put(side, "A#1", "X", n=1)
    # When a second put requires that it does not exist
    with pytest.raises(ClientError) as refused:
        side.client("dynamodb").put_item(
            TableName=side.table,
            Item={"pk": {"S": "A#1"}, "sk": {"S": "X"}, "n": {"N": "2"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    # Then it is refused with the item as it was, and the item is unchanged
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused.value.response.get("Item", {}).get("n") == {"N": "1"}
    assert get(side, "A#1", "X") == {"pk": {"S": "A#1"}, "sk": {"S": "X"}, "n": {"N": "1"}}


def test_a_version_check_with_or_and_comparisons(side: Side) -> None:
    put(side, "A#1", "X", version=3, bucket="2026-03-01T01")
    ddb = side.client("dynamodb")
    ddb.put_item(
        TableName=side.table,
        Item={"pk": {"S": "A#1"}, "sk": {"S": "X"}, "version": {"N": "4"}, "bucket": {"S": "b"}},
        ConditionExpression="attribute_not_exists(pk) OR (version = :v AND #b < :b)",
        ExpressionAttributeNames={"#b": "bucket"},
        ExpressionAttributeValues={":v": {"N": "3"}, ":b": {"S": "2026-03-02T00"}},
    )
    assert (get(side, "A#1", "X") or {})["version"] == {"N": "4"}
    with pytest.raises(ClientError):
        ddb.put_item(
            TableName=side.table,
            Item={"pk": {"S": "A#1"}, "sk": {"S": "X"}, "version": {"N": "5"}},
            ConditionExpression="version = :v",
            ExpressionAttributeValues={":v": {"N": "3"}},
        )


def test_a_transaction_is_all_or_nothing_with_reasons(side: Side) -> None:
    # Given an existing marker
    put(side, "EVENT#e1", "EVENT")
    ddb = side.client("dynamodb")
    # When a transaction writes a new profile but also claims the existing marker
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": side.table,
                        "Item": {"pk": {"S": "EVENT#e1"}, "sk": {"S": "EVENT"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": side.table,
                        "Item": {"pk": {"S": "MEMBER#m"}, "sk": {"S": "PROFILE"}},
                    }
                },
            ]
        )
    # Then it is cancelled, the first reason is the failed condition, nothing was written
    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert "ConditionalCheckFailed" in error["Error"]["Message"]
    assert get(side, "MEMBER#m", "PROFILE") is None


def test_a_transaction_applies_puts_updates_and_deletes_together(side: Side) -> None:
    put(side, "C#1", "STEP#a", entered=1)
    put(side, "D#1", "old")
    side.client("dynamodb").transact_write_items(
        TransactItems=[
            {"Put": {"TableName": side.table, "Item": {"pk": {"S": "N#1"}, "sk": {"S": "x"}}}},
            {
                "Update": {
                    "TableName": side.table,
                    "Key": {"pk": {"S": "C#1"}, "sk": {"S": "STEP#a"}},
                    "UpdateExpression": "ADD #n0 :v0",
                    "ExpressionAttributeNames": {"#n0": "entered"},
                    "ExpressionAttributeValues": {":v0": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": side.table, "Key": {"pk": {"S": "D#1"}, "sk": {"S": "old"}}}},
        ]
    )
    assert get(side, "N#1", "x") is not None
    assert (get(side, "C#1", "STEP#a") or {})["entered"] == {"N": "3"}
    assert get(side, "D#1", "old") is None


def test_queries_read_one_partition_in_sort_order_with_ranges_and_pages(side: Side) -> None:
    for sk in ["TL#2026-03-03", "TL#2026-03-01", "ORDER#9", "TL#2026-03-02", "PROFILE"]:
        put(side, "MEMBER#m", sk)
    put(side, "MEMBER#other", "TL#2026-03-01")
    ddb = side.client("dynamodb")

    def sks(**kwargs: Any) -> list[str]:
        response = ddb.query(TableName=side.table, **kwargs)
        return [i["sk"]["S"] for i in response["Items"]]

    values = {":pk": {"S": "MEMBER#m"}, ":tl": {"S": "TL#"}}
    condition = "pk = :pk AND begins_with(sk, :tl)"
    assert sks(KeyConditionExpression=condition, ExpressionAttributeValues=values) == [
        "TL#2026-03-01",
        "TL#2026-03-02",
        "TL#2026-03-03",
    ]
    newest = sks(
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ScanIndexForward=False,
        Limit=2,
    )
    assert newest == ["TL#2026-03-03", "TL#2026-03-02"]
    upto = sks(
        KeyConditionExpression="pk = :pk AND sk <= :now",
        ExpressionAttributeValues={":pk": {"S": "MEMBER#m"}, ":now": {"S": "ORDER#9"}},
    )
    assert upto == ["ORDER#9"]
    between = sks(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={
            ":pk": {"S": "MEMBER#m"},
            ":a": {"S": "TL#2026-03-02"},
            ":b": {"S": "TL#2026-03-09"},
        },
    )
    assert between == ["TL#2026-03-02", "TL#2026-03-03"]
    # Paging: Limit, then LastEvaluatedKey
    first = ddb.query(
        TableName=side.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "MEMBER#m"}},
        Limit=3,
    )
    rest = ddb.query(
        TableName=side.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "MEMBER#m"}},
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"]["S"] for i in first["Items"] + rest["Items"]] == [
        "ORDER#9",
        "PROFILE",
        "TL#2026-03-01",
        "TL#2026-03-02",
        "TL#2026-03-03",
    ]


def test_the_index_follows_every_write(side: Side) -> None:
    ddb = side.client("dynamodb")
    for member, step in (("m1", "welcome"), ("m2", "wait"), ("m3", "welcome")):
        ddb.put_item(
            TableName=side.table,
            Item={
                "pk": {"S": f"MEMBER#{member}"},
                "sk": {"S": "ENROL#j#1"},
                "gsi1pk": {"S": "JOURNEY#j"},
                "gsi1sk": {"S": f"{step}#{member}"},
            },
        )
    # m1 moves on: its index entry moves with it
    ddb.update_item(
        TableName=side.table,
        Key={"pk": {"S": "MEMBER#m1"}, "sk": {"S": "ENROL#j#1"}},
        UpdateExpression="SET gsi1sk = :s",
        ExpressionAttributeValues={":s": {"S": "wait#m1"}},
    )
    ddb.delete_item(TableName=side.table, Key={"pk": {"S": "MEMBER#m3"}, "sk": {"S": "ENROL#j#1"}})
    response = ddb.query(
        TableName=side.table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :s)",
        ExpressionAttributeValues={":pk": {"S": "JOURNEY#j"}, ":s": {"S": "wait#"}},
    )
    assert [i["gsi1sk"]["S"] for i in response["Items"]] == ["wait#m1", "wait#m2"]


def test_counters_sets_and_if_not_exists(side: Side) -> None:
    ddb = side.client("dynamodb")
    key = {"pk": {"S": "LIMIT#line#1"}, "sk": {"S": "LIMIT"}}
    for _ in range(3):
        ddb.update_item(
            TableName=side.table,
            Key=key,
            UpdateExpression="ADD #c :n SET expires_at = if_not_exists(expires_at, :ttl)",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":n": {"N": "2"}, ":ttl": {"N": str(100 + _)}},
        )
    item = get(side, "LIMIT#line#1", "LIMIT") or {}
    assert item["count"] == {"N": "6"}
    assert item["expires_at"] == {"N": "100"}
    month = {"pk": {"S": "DUEMONTH#2026-03"}, "sk": {"S": "DUEMONTH"}}
    for buckets in (["2026-03-01T01"], ["2026-03-01T01", "2026-03-02T05"]):
        ddb.update_item(
            TableName=side.table,
            Key=month,
            UpdateExpression="ADD buckets :b",
            ExpressionAttributeValues={":b": {"SS": buckets}},
        )
    stored = (get(side, "DUEMONTH#2026-03", "DUEMONTH") or {})["buckets"]["SS"]
    assert sorted(stored) == ["2026-03-01T01", "2026-03-02T05"]


def test_batch_reads_return_what_exists(side: Side) -> None:
    put(side, "ALIAS#email#a@x.tw", "ALIAS", member_id="m-1")
    response = side.client("dynamodb").batch_get_item(
        RequestItems={
            side.table: {
                "Keys": [
                    {"pk": {"S": "ALIAS#email#a@x.tw"}, "sk": {"S": "ALIAS"}},
                    {"pk": {"S": "ALIAS#phone#+886"}, "sk": {"S": "ALIAS"}},
                ],
                "ConsistentRead": True,
            }
        }
    )
    found = response["Responses"][side.table]
    assert [i["member_id"]["S"] for i in found] == ["m-1"]


def test_an_item_over_400_kb_is_refused(side: Side) -> None:
    with pytest.raises(ClientError) as refused:
        put(side, "MEMBER#big", "PROFILE", blob="x" * (401 * 1024))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert get(side, "MEMBER#big", "PROFILE") is None


def test_the_stream_carries_old_and_new_images_in_order(side: Side) -> None:
    put(side, "MEMBER#s", "PROFILE", version=1)
    put(side, "MEMBER#s", "PROFILE", version=2)
    side.client("dynamodb").delete_item(
        TableName=side.table, Key={"pk": {"S": "MEMBER#s"}, "sk": {"S": "PROFILE"}}
    )
    ddb = side.client("dynamodb")
    streams = side.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=side.table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    mine = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "MEMBER#s"]
    assert [r["eventName"] for r in mine] == ["INSERT", "MODIFY", "REMOVE"]
    assert mine[1]["dynamodb"]["OldImage"]["version"] == {"N": "1"}
    assert mine[1]["dynamodb"]["NewImage"]["version"] == {"N": "2"}
    assert "NewImage" not in mine[2]["dynamodb"]
