"""The brand's tables, built from the shared definitions in `kairos.store.schema`.

The local emulator creates the same tables from the same definitions, so keys, indexes,
TTL and stream settings cannot drift between the two.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import acknowledge
from kairos.store.schema import IDEMPOTENCY, MAIN, TABLES, TableDef, table_name

# Only item-level access: no Scan, in keeping with "no table scan on any hot path".
READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)


def _attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Storage(Construct):
    """Main single table (with its stream) and the idempotency table."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.tables = {
            definition.logical_id: self._table(prefix, definition) for definition in TABLES
        }
        self.main = self.tables[MAIN.logical_id]
        self.idempotency = self.tables[IDEMPOTENCY.logical_id]

    def _table(self, prefix: str, definition: TableDef) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            definition.logical_id.capitalize(),
            table_name=table_name(prefix, definition),
            partition_key=_attribute(definition.partition_key),
            sort_key=_attribute(definition.sort_key) if definition.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=definition.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if definition.stream else None,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # Member data outlives a stack deletion, and neither a console click nor an
            # API call deletes the table: removing it is a deliberate, two-step act.
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,
        )
        for index in definition.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table


def grant_items(
    role: iam.Role, table: dynamodb.ITable, definition: TableDef, *, write: bool
) -> None:
    """Item reads (and writes) on one table and its indexes; never Scan."""
    resources = [table.table_arn]
    if definition.indexes:
        resources.append(f"{table.table_arn}/index/*")
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Queries on the table's own global secondary indexes (key patterns in "
            "docs/data-model.md); the wildcard covers index names of this table only.",
            applies_to_regex=[r"/^Resource::<.*\.Arn>\/index\/\*$/"],
        )
    iam.Grant.add_to_principal(
        grantee=role,
        actions=[*READ_ACTIONS, *(WRITE_ACTIONS if write else ())],
        resource_arns=resources,
    )
