"""The webhook runs with the brand's `kairos.yaml` exactly as `kairos validate` read it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kairos.store.members import MemberRepository
from kairos_dev.cli import main
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.stack import create_local_stack
from tests.builders import WebhookClient, shop_order

SETTINGS = """\
timezone: America/Los_Angeles
quiet_hours: {start: 21:00, end: 09:00}
"""


def test_a_validated_kairos_yaml_is_the_one_the_webhook_runs_with(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a brand project whose quiet hours are written without quotes, which validates
    (tmp_path / "kairos.yaml").write_text(SETTINGS, encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 0
    # And a webhook deployed with it
    stack = create_local_stack(
        emulator, prefix=f"k{uuid.uuid4().hex[:10]}", project_dir=str(tmp_path)
    )
    for name, value in stack.environ().items():
        monkeypatch.setenv(name, value)  # undone after the test: the project stays here
    webhook = WebhookClient(stack)
    # When the shop posts an order placed on Sunday 10:00 in Taipei
    order = shop_order("A2001", {"email": "amy@example.com"})
    answer = webhook.order(order)
    # Then it is applied in the brand's time zone: Saturday evening in Los Angeles
    assert answer.status == 200, answer.body
    members = MemberRepository(stack.tables["main"], stack.client("dynamodb"))
    member_id = members.find("email", "amy@example.com")
    member = members.get(member_id) if member_id else None
    assert member is not None
    assert member.stats.weekday_counts == {"sat": 1}
