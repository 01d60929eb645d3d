"""Entry point of the CDK app (`cdk.json`: `.venv/bin/python -m infra.app`).

The stack is environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set (as the
`cdk` CLI does when credentials are present), so `cdk synth` works offline. No context
lookups are used for the same reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, Environment, Tags
from cdk_nag import AwsSolutionsChecks

from infra.config import KairosConfig
from infra.paths import FUNCTIONS
from infra.stack import KairosStack


def create_app(
    context: dict[str, Any] | None = None,
    *,
    outdir: str | None = None,
    functions_dir: Path = FUNCTIONS,
) -> tuple[App, KairosStack]:
    """The app with one brand's stack, checked by cdk-nag (tests call this too)."""
    app = App(context=context, outdir=outdir)
    config = KairosConfig.from_context(app.node)
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    stack = KairosStack(
        app,
        config.stack_name,
        config=config,
        functions_dir=functions_dir,
        env=Environment(account=account, region=region) if account and region else None,
        description=f"Kairos customer journeys for {config.brand} ({config.stage})",
    )
    Tags.of(stack).add("kairos:brand", config.brand)
    Tags.of(stack).add("kairos:stage", config.stage)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def main() -> None:
    app, _ = create_app()
    app.synth()


if __name__ == "__main__":
    main()
