"""The contract suite: every test here runs once on the embedded emulator (moto server,
real boto3 over HTTP) and once on the memory backend, and must pass on both."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from kairos.clock import FixedClock
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.emulator import Emulator
from kairos_dev.local.stack import LocalStack, create_local_stack

START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


class Side:
    """One backend under test: its clients, its tables, its stack and (memory) its clock."""

    def __init__(self, name: str, provider: Any, clock: FixedClock) -> None:
        self.name = name
        self.provider = provider
        self.clock = clock
        self.stack: LocalStack = create_local_stack(provider, prefix=f"c{uuid.uuid4().hex[:10]}")
        self.table = self.stack.tables["main"]
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.provider.client(service)
        return self._clients[service]


@pytest.fixture(params=["emulator", "memory"])
def side(request: pytest.FixtureRequest) -> Side:
    clock = FixedClock(START)
    if request.param == "emulator":
        emulator: Emulator = request.getfixturevalue("emulator")
        return Side("emulator", emulator, clock)
    return Side("memory", MemoryBackend(clock), clock)
