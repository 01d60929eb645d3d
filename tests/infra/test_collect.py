"""The collect route in the stack: routes with no authoriser (the function checks the
publishable key and origin), the sites and LIFF channel in the webhook's environment,
the served snippet, and the WAF rate-based rule per client address on the API stage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match, Template

from infra.app import create_app
from infra.config import ConfigError
from infra.paths import FUNCTIONS
from infra.stack import KairosStack
from tests.infra.conftest import CONTEXT

SITES = [
    {"key": "pk_live_new", "origins": ["https://shop.acme.example"]},
    {"key": "pk_live_old", "origins": ["https://shop.acme.example"]},
]


def _synth(tmp: Path, **extra: Any) -> tuple[App, KairosStack]:
    project = tmp / "project"
    (project / "journeys").mkdir(parents=True)
    (project / "kairos.yaml").write_text(
        "timezone: Asia/Taipei\nchannels:\n  email: {from: 'Acme <news@mail.acme.example>'}\n",
        encoding="utf-8",
    )
    functions = tmp / "functions"
    shutil.copytree(FUNCTIONS, functions, ignore=shutil.ignore_patterns("__pycache__"))
    context = {**CONTEXT, "kairos:project": str(project), **extra}
    return create_app(context, outdir=str(tmp / "cdk.out"), functions_dir=functions)


@pytest.fixture(scope="module")
def collect_stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[KairosStack, Template]:
    _, stack = _synth(
        tmp_path_factory.mktemp("collect"),
        **{"kairos:collectSites": json.dumps(SITES), "kairos:liffChannelId": "2000000001",
           "kairos:collectRateLimit": "300"},
    )  # fmt: skip
    return stack, Template.from_stack(stack)


def _webhook_env(template: Template) -> dict[str, Any]:
    for fn in template.find_resources("AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "KAIROS_WEBHOOK_SECRET_NAME" in env:
            return dict(env)
    raise AssertionError("no webhook function")


def test_the_sites_and_liff_channel_reach_the_webhook(
    collect_stack: tuple[KairosStack, Template],
) -> None:
    env = _webhook_env(collect_stack[1])
    assert json.loads(env["KAIROS_COLLECT_SITES"]) == SITES  # both keys of a rotation
    assert env["KAIROS_LIFF_CHANNEL_ID"] == "2000000001"


def test_collect_routes_are_public_and_proxied(collect_stack: tuple[KairosStack, Template]) -> None:
    template = collect_stack[1]
    resources = template.find_resources("AWS::ApiGateway::Resource")
    parts = {r["Properties"]["PathPart"] for r in resources.values()}
    assert {"collect", "kairos.js"} <= parts
    methods = template.find_resources("AWS::ApiGateway::Method")
    verbs = {
        m["Properties"]["HttpMethod"]
        for m in methods.values()
        if m["Properties"]["AuthorizationType"] == "NONE"
    }
    assert {"POST", "OPTIONS", "GET"} <= verbs


def test_a_rate_based_rule_per_client_address_guards_collect(
    collect_stack: tuple[KairosStack, Template],
) -> None:
    template = collect_stack[1]
    template.has_resource_properties(
        "AWS::WAFv2::WebACL",
        {
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "Rules": [
                Match.object_like(
                    {
                        "Action": {"Block": {}},
                        "Statement": {
                            "RateBasedStatement": Match.object_like(
                                {
                                    "AggregateKeyType": "IP",
                                    "Limit": 300,
                                    "EvaluationWindowSec": 300,
                                    "ScopeDownStatement": {
                                        "ByteMatchStatement": Match.object_like(
                                            {"SearchString": "/collect"}
                                        )
                                    },
                                }
                            )
                        },
                    }
                )
            ],
        },
    )
    associations = template.find_resources("AWS::WAFv2::WebACLAssociation")
    assert len(associations) == 1
    (association,) = associations.values()
    arn = json.dumps(association["Properties"]["ResourceArn"])
    assert "restapis" in arn and "stages" in arn


def test_no_nag_findings(collect_stack: tuple[KairosStack, Template]) -> None:
    stack, _ = collect_stack
    found = [
        *Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*")),
        *Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp("AwsSolutions-.*")
        ),
    ]
    assert [f"{e.id}: {e.entry.data}" for e in found] == []


@pytest.mark.parametrize(
    "sites",
    [
        "not json",
        json.dumps([{"key": "secret", "origins": ["https://a.example"]}]),
        json.dumps([{"key": "pk_x", "origins": ["http://a.example"]}]),
    ],
)
def test_bad_sites_stop_the_synth(tmp_path: Path, sites: str) -> None:
    with pytest.raises(ConfigError):
        _synth(tmp_path, **{"kairos:collectSites": sites})
