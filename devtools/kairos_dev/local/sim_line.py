"""Where a simulation's LINE messages go, and the seconds its sender's rate limiter
counts in.

On the memory backend the fake LINE answers in this process (line_inprocess.py): the
same answers and recorded messages as over HTTP, without a server, and the sender sends
one message at a time (nothing waits on a network, so threads would only cost). On the
emulator it stays the fake LINE server over real HTTP through line-bot-sdk, like
everything else there. On both, the rate limiter's windows are simulated seconds
(pace.py), and so are the fake's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kairos.aws import AwsClients
from kairos.config import RuntimeConfig
from kairos.richmenus.api import LineApi
from kairos.secrets import SecretStore
from kairos_dev.local.fake_line import Endpoint, FakeLine, start_fake_line
from kairos_dev.local.line_inprocess import InProcessApi, InProcessLine
from kairos_dev.local.pace import SimulatedSeconds
from kairos_dev.local.stack import LocalStack

NOWHERE = "http://127.0.0.1:9"
"""The LINE endpoint a sender with the in-process transport is configured with: never
called, and nothing real if it were."""


@dataclass
class SimulatedLine:
    fake: FakeLine
    sender: dict[str, Any]
    """The sender's `build` keyword arguments (kairos.wiring.sender): its LINE transport
    (in process only), its rate limiter's pace and its sends in flight."""

    def stop(self) -> None:
        self.fake.stop()


def deploy_menus(fake: FakeLine, project_dir: str | None) -> None:
    """The project's rich menus onto the fake LINE, as `kairos richmenus deploy` would
    put them on the channel before the members come (a project without any: nothing)."""
    if not project_dir:
        return
    from kairos.project import load_project
    from kairos.richmenus.binding import default_menu
    from kairos.richmenus.deploy import deploy

    project = load_project(project_dir)
    if project.richmenus:
        api = LineApi(InProcessApi(fake, lambda: fake.token))
        deploy(api, project.richmenus, default_menu(project.settings.richmenus))


def simulated_line(
    stack: LocalStack, aws: AwsClients, clock: Callable[[], datetime], *, in_process: bool
) -> SimulatedLine:
    """The fake LINE for a simulation on `stack` (its token is the stack's), and how the
    sender reaches it: in process, or over HTTP at the URL put in the stack's environment."""
    seconds = SimulatedSeconds(clock)
    token = stack.secrets.line_channel_token
    if not in_process:
        fake = start_fake_line(token=token, clock=seconds.now)
        stack.extra_env["KAIROS_LINE_API_ENDPOINT"] = fake.url
        return SimulatedLine(fake, {"pace": seconds.pace})
    rates: dict[Endpoint, float | None] = {"push": None, "multicast": None, "reply": None}
    fake = FakeLine(token=token, rates=rates, clock=seconds.now)
    stack.extra_env["KAIROS_LINE_API_ENDPOINT"] = NOWHERE
    # The token from the stack's Secrets Manager, read as the sender reads it for LINE.
    secrets = SecretStore(aws)
    name = RuntimeConfig.from_env(stack.environ()).line_secret_name

    def read_token() -> str:
        return str(secrets.line(name)["channel_access_token"])

    line = InProcessLine(fake, token=read_token)
    api = LineApi(InProcessApi(fake, read_token))
    sender = {"line": line, "line_api": api, "pace": seconds.pace, "concurrency": 1}
    return SimulatedLine(fake, sender)
