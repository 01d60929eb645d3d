from __future__ import annotations

import pytest

from kairos.store.members import MemberRepository
from kairos_dev.local.stack import LocalStack
from tests.builders import WebhookClient


@pytest.fixture
def webhook(stack: LocalStack) -> WebhookClient:
    return WebhookClient(stack)


@pytest.fixture
def members(stack: LocalStack) -> MemberRepository:
    return MemberRepository(stack.tables["main"], stack.client("dynamodb"))
