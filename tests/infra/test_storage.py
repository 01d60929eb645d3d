"""The tables: built from the shared definitions, with the settings the engine relies on."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from kairos.store.schema import IDEMPOTENCY, MAIN, TableDef, table_name
from tests.infra.conftest import resources

PREFIX = "kairos-acme-test"


def table(template: Template, definition: TableDef) -> dict[str, Any]:
    name = table_name(PREFIX, definition)
    for resource in resources(template, "AWS::DynamoDB::Table").values():
        if resource["Properties"]["TableName"] == name:
            return resource
    raise AssertionError(f"no table {name}")


def test_main_table_streams_new_and_old_images(template: Template) -> None:
    # The evaluator compares the member before and after each event.
    props = table(template, MAIN)["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_idempotency_table_has_no_stream(template: Template) -> None:
    assert "StreamSpecification" not in table(template, IDEMPOTENCY)["Properties"]


def test_ttl_attributes_come_from_the_definitions(template: Template) -> None:
    for definition in (MAIN, IDEMPOTENCY):
        props = table(template, definition)["Properties"]
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }


def test_tables_are_on_demand_recoverable_and_retained(template: Template) -> None:
    for definition in (MAIN, IDEMPOTENCY):
        resource = table(template, definition)
        props = resource["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"


def test_tables_refuse_deletion(template: Template) -> None:
    # Retained on stack deletion is not enough: a stray DeleteTable must fail too.
    for definition in (MAIN, IDEMPOTENCY):
        assert table(template, definition)["Properties"]["DeletionProtectionEnabled"] is True


def test_keys_and_indexes_match_the_definition(template: Template) -> None:
    props = table(template, MAIN)["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": MAIN.partition_key, "KeyType": "HASH"},
        {"AttributeName": MAIN.sort_key, "KeyType": "RANGE"},
    ]
    indexes = {gsi["IndexName"]: gsi for gsi in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in MAIN.indexes}
    for index in MAIN.indexes:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}


def test_the_tracking_and_member_id_keys_are_generated_and_kept(template: Template) -> None:
    secrets = template.find_resources("AWS::SecretsManager::Secret")
    generated = {
        s["Properties"]["Name"]: s["Properties"]["GenerateSecretString"]["GenerateStringKey"]
        for s in secrets.values()
    }
    assert generated == {
        "kairos/acme/test/tracking": "tracking_key",
        "kairos/acme/test/member-ids": "member_id_key",
    }
    assert {s["DeletionPolicy"] for s in secrets.values()} == {"Retain"}
