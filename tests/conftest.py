"""Shared fixtures: one embedded AWS emulator per test worker, fresh tables per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from kairos_dev.local.emulator import Emulator, start_emulator
from kairos_dev.local.stack import LocalStack, create_local_stack


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emu = start_emulator()
    saved = dict(os.environ)
    emu.activate()
    try:
        yield emu
    finally:
        os.environ.clear()
        os.environ.update(saved)
        emu.stop()


@pytest.fixture
def tables(emulator: Emulator) -> dict[str, str]:
    """Fresh Kairos tables (logical id → physical name) under a unique prefix."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return emulator.create_tables(prefix)


@pytest.fixture
def stack(emulator: Emulator) -> LocalStack:
    """A fresh local Kairos stack (tables, secrets, queues) with this process pointed at it."""
    local = create_local_stack(emulator, prefix=f"k{uuid.uuid4().hex[:10]}")
    local.activate()
    return local
