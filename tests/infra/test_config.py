"""Context parameters: sensible defaults, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from infra.app import create_app
from infra.config import ConfigError, KairosConfig
from infra.paths import ROOT
from infra.project import ProjectError, load_project
from infra.stack import KairosStack


def config(**context: str) -> KairosConfig:
    return KairosConfig.from_context(
        App(context={f"kairos:{k}": v for k, v in context.items()}).node
    )


def test_defaults() -> None:
    cfg = config()
    assert (cfg.brand, cfg.stage) == ("demo", "dev")
    assert cfg.stack_name == "Kairos-demo-dev"
    assert cfg.prefix == "kairos-demo-dev"
    assert cfg.line_secret_name == "kairos/demo/dev/line"
    assert cfg.webhook_secret_name == "kairos/demo/dev/webhook"
    assert cfg.project == ROOT / "examples"
    assert cfg.email_identity is None  # derived from kairos.yaml's `from` at synth
    assert cfg.alarm_email is None


def test_one_stack_per_brand_and_stage() -> None:
    cfg = config(brand="yuemeng", stage="prod")
    assert cfg.stack_name == "Kairos-yuemeng-prod"
    assert cfg.line_secret_name == "kairos/yuemeng/prod/line"


@pytest.mark.parametrize("brand", ["Acme", "acme_shop", "", "-x", "a" * 40])
def test_brand_must_be_usable_in_resource_names(brand: str) -> None:
    if brand == "":
        assert config(brand=brand).brand == "demo"  # empty means "use the default"
        return
    with pytest.raises(ConfigError, match="kairos:brand"):
        config(brand=brand)


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="kairos:eventTtlDays"):
        config(eventTtlDays="0")


def test_metrics_are_health_only_unless_asked_for_detailed() -> None:
    assert config().metrics == "health"
    assert config(metrics="detailed").metrics == "detailed"
    with pytest.raises(ConfigError, match="kairos:metrics"):
        config(metrics="all")


def test_load_project_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a directory"):
        load_project(tmp_path / "nope")
    assert load_project(tmp_path) == tmp_path.resolve()


def test_a_broken_project_fails_the_synth_with_the_validator_messages(tmp_path: Path) -> None:
    # Given a journey whose branch goes to a step that does not exist
    (tmp_path / "journeys").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "hi.yaml").write_text("id: hi\nline: {text: hi}\n", encoding="utf-8")
    (tmp_path / "journeys" / "welcome.yaml").write_text(
        "id: welcome\nname: Welcome\ntrigger: {event: line.follow}\n"
        "steps:\n  - id: hello\n    send: {channel: line, template: hi}\n    next: nowhere\n",
        encoding="utf-8",
    )
    # When the stack loads it, Then synth stops naming the file, the step and the reason
    with pytest.raises(ProjectError) as failure:
        load_project(tmp_path)
    message = str(failure.value)
    assert "journeys/welcome.yaml" in message
    assert "hello" in message and "nowhere" in message


def test_the_example_brand_project_deploys() -> None:
    assert load_project(Path("examples")).name == "examples"


def test_the_email_identity_is_derived_from_the_brand_sender() -> None:
    # examples/kairos.yaml sends from hello@yuemeng.example
    identity = KairosStack._email_identity(config(), ROOT / "examples")
    assert identity == "yuemeng.example"


def test_an_identity_that_cannot_send_as_the_brand_stops_the_synth(tmp_path: Path) -> None:
    # Given the example brand (from hello@yuemeng.example) and another domain's identity
    context = {"kairos:emailIdentity": "shop.example", "kairos:project": "examples"}
    # When the app is synthesized, Then it stops before anything is built, with the fix
    with pytest.raises(ConfigError) as failure:
        create_app(context, outdir=str(tmp_path))
    message = str(failure.value)
    assert "'shop.example'" in message and "hello@yuemeng.example" in message
    assert "kairos:emailIdentity=yuemeng.example" in message


def test_the_shipped_defaults_can_send_email() -> None:
    # cdk.json's context and examples/kairos.yaml must agree (issue: every email denied).
    import json

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    cfg = config(**{k.removeprefix("kairos:"): str(v) for k, v in context.items()})
    assert KairosStack._email_identity(cfg, cfg.project) == "yuemeng.example"
