"""Least privilege: each function may do what its job needs and nothing else."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import (
    FUNCTION_NAMES,
    actions_of,
    allowed_actions,
    queue_ids,
    resources,
    role_statements,
)


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_no_function_may_scan_or_manage_tables(template: Template, name: str) -> None:
    actions = allowed_actions(template, name)
    assert "dynamodb:Scan" not in actions
    assert not any(
        a.startswith(("dynamodb:Delete", "dynamodb:Create")) and "Item" not in a for a in actions
    )
    assert not any(a.endswith("*") for a in actions)


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_no_function_has_a_managed_policy(template: Template, name: str) -> None:
    for role in template.find_resources("AWS::IAM::Role").values():
        principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        if principal.get("Service") == "lambda.amazonaws.com":
            assert "ManagedPolicyArns" not in role["Properties"]


def test_sender_sends_email_only_as_the_identity(template: Template) -> None:
    ses = [
        s
        for s in role_statements(template, "sender")
        if any(a.startswith("ses:") for a in actions_of(s))
    ]
    assert len(ses) == 1
    assert sorted(actions_of(ses[0])) == ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [str(r) for r in ses[0]["Resource"]]
    assert len(resources) == 2
    assert any(":identity/mail.acme.example" in r for r in resources)
    assert any(":configuration-set/" in r for r in resources)
    assert all("*" not in r for r in resources)


def test_sender_may_publish_sms_and_send_only_to_its_channel_queues(template: Template) -> None:
    actions = allowed_actions(template, "sender")
    assert "sns:Publish" in actions
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} <= actions
    # What is left of a group message to retry goes back to its own channel queue;
    # nothing else (a dead-letter queue, another function's queue) is a send target.
    send_targets = {
        s["Resource"]["Fn::GetAtt"][0]
        for s in role_statements(template, "sender")
        if "sqs:SendMessage" in actions_of(s)
    }
    assert send_targets == set(queue_ids(template).values())


def test_webhook_cannot_send_anything(template: Template) -> None:
    actions = allowed_actions(template, "webhook")
    assert not any(a.startswith(("ses:", "sns:")) for a in actions)
    # Its only queue: where SES engagement events it could not apply are kept.
    queues = {
        s["Resource"]["Fn::GetAtt"][0]
        for s in role_statements(template, "webhook")
        if any(a.startswith("sqs:") for a in actions_of(s))
    }
    assert len(queues) == 1 and "EmailEngagementDlq" in queues.pop()
    assert not set(queue_ids(template).values()) & queues


def test_webhook_cannot_touch_the_idempotency_table(template: Template) -> None:
    # Only the sender keeps idempotency records; the webhook dedupes in the main table.
    (idempotency_id,) = [
        logical_id
        for logical_id, table in resources(template, "AWS::DynamoDB::Table").items()
        if table["Properties"]["TableName"].endswith("-idempotency")
    ]
    for statement in role_statements(template, "webhook"):
        assert idempotency_id not in str(statement["Resource"])
    assert any(idempotency_id in str(s["Resource"]) for s in role_statements(template, "sender"))


def test_evaluator_enqueues_but_never_talks_to_a_channel(template: Template) -> None:
    statements = role_statements(template, "evaluator")
    send_targets = {
        s["Resource"]["Fn::GetAtt"][0] for s in statements if "sqs:SendMessage" in actions_of(s)
    }
    assert set(queue_ids(template).values()) <= send_targets
    actions = allowed_actions(template, "evaluator")
    assert not any(a.startswith(("ses:", "sns:")) for a in actions)
    # It reads secrets only: the member-id key (journey-made events may create members)
    # and the LINE token (the daily read of LINE's unit statistics).
    assert {a for a in actions if a.startswith("secretsmanager:")} <= {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }


@pytest.mark.parametrize(
    ("name", "secrets"),
    [
        ("webhook", {"acme/line", "acme/webhook", "kairos/acme/test/tracking",
                     "kairos/acme/test/member-ids"}),
        # The sender signs links with the tracking key, never with the webhook key.
        ("sender", {"acme/line", "kairos/acme/test/tracking"}),
        # The LINE token: the daily read of LINE's unit statistics.
        ("evaluator", {"acme/line", "kairos/acme/test/member-ids"}),
    ],
)  # fmt: skip
def test_functions_read_only_their_secrets(
    template: Template, name: str, secrets: set[str]
) -> None:
    generated = {
        logical_id: secret["Properties"]["Name"]
        for logical_id, secret in template.find_resources("AWS::SecretsManager::Secret").items()
    }
    readable = set()
    for statement in role_statements(template, name):
        if isinstance(statement["Resource"], dict) and "Ref" in statement["Resource"]:
            readable.add(generated[statement["Resource"]["Ref"]])
            continue
        if any(a.startswith("secretsmanager:") for a in actions_of(statement)):
            assert set(actions_of(statement)) == {
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            }
            arn = statement["Resource"]["Fn::Join"][1][-1]
            readable.add(arn.removeprefix(":secret:").removesuffix("-??????"))
    assert readable == secrets


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_table_access_is_item_level(template: Template, name: str) -> None:
    actions = {a for a in allowed_actions(template, name) if a.startswith("dynamodb:")}
    expected = {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    }
    stream = {
        "dynamodb:ListStreams",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    }
    assert actions == (expected | stream if name == "evaluator" else expected)
