"""One synthesized Kairos stack per test session, plus helpers to read its template.

The stack is built from a throwaway brand project, a copy of `functions/` (handlers
still missing in the checkout get a stub in the copy only) and a tiny built console
(`tests/infra/fixtures/console-dist`), so the tests depend on the infrastructure code,
not on the state of other work.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import create_app
from infra.paths import FUNCTIONS, ROOT
from infra.stack import KairosStack

FUNCTION_NAMES = ("webhook", "evaluator", "sender")
CONTEXT = {
    "kairos:brand": "acme",
    "kairos:stage": "test",
    "kairos:lineSecretName": "acme/line",
    "kairos:webhookSecretName": "acme/webhook",
    "kairos:emailIdentity": "mail.acme.example",
    "kairos:alarmEmail": "ops@acme.example",
    # A tiny built console, so the tests need no `make console-build`.
    "kairos:consoleDist": str(ROOT / "tests" / "infra" / "fixtures" / "console-dist"),
}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, KairosStack]]:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    root = tmp_path_factory.mktemp("kairos-infra")
    project = root / "project"
    (project / "journeys").mkdir(parents=True)
    (project / "kairos.yaml").write_text(
        "timezone: Asia/Taipei\nchannels:\n  email: {from: 'Acme <news@mail.acme.example>'}\n",
        encoding="utf-8",
    )
    functions = root / "functions"
    shutil.copytree(FUNCTIONS, functions, ignore=shutil.ignore_patterns("__pycache__"))
    for name in FUNCTION_NAMES:
        handler = functions / name / "handler.py"
        if not handler.exists():
            handler.parent.mkdir(parents=True, exist_ok=True)
            handler.write_text("def handler(event, context):\n    return None\n")
    context = {**CONTEXT, "kairos:project": str(project)}
    yield create_app(context, outdir=str(root / "cdk.out"), functions_dir=functions)


@pytest.fixture(scope="session")
def stack(synthesized: tuple[App, KairosStack]) -> KairosStack:
    return synthesized[1]


@pytest.fixture(scope="session")
def template(stack: KairosStack) -> Template:
    return Template.from_stack(stack)


# ---- reading the template --------------------------------------------------------------


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in template.find_resources(kind).items()}


def function_id(template: Template, name: str) -> str:
    """Logical id of the Kairos function whose Powertools service name is `name`."""
    for logical_id, fn in resources(template, "AWS::Lambda::Function").items():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if env.get("POWERTOOLS_SERVICE_NAME") == name:
            return logical_id
    raise AssertionError(f"no function {name}")


def function_env(template: Template, name: str) -> dict[str, Any]:
    fn = resources(template, "AWS::Lambda::Function")[function_id(template, name)]
    env: dict[str, Any] = fn["Properties"]["Environment"]["Variables"]
    return env


def role_statements(template: Template, name: str) -> list[dict[str, Any]]:
    """Every IAM statement granted to the role of function `name`."""
    fn = resources(template, "AWS::Lambda::Function")[function_id(template, name)]
    role_ref = {"Ref": fn["Properties"]["Role"]["Fn::GetAtt"][0]}
    statements: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if role_ref in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def allowed_actions(template: Template, name: str) -> set[str]:
    return {
        action
        for statement in role_statements(template, name)
        if statement["Effect"] == "Allow"
        for action in actions_of(statement)
    }


def event_source_mappings(template: Template, name: str) -> list[dict[str, Any]]:
    ref = {"Ref": function_id(template, name)}
    return [
        esm["Properties"]
        for esm in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if esm["Properties"]["FunctionName"] == ref
    ]


def queue_ids(template: Template) -> dict[str, str]:
    """Channel → logical id of its queue, read from the evaluator's environment."""
    env = function_env(template, "evaluator")
    return {
        channel: env[f"KAIROS_QUEUE_{channel.upper()}"]["Ref"]
        for channel in ("line", "email", "sms")
    }


def only(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    """The logical id and properties of the template's one resource of `kind`."""
    ((logical_id, resource),) = resources(template, kind).items()
    return logical_id, resource["Properties"]
