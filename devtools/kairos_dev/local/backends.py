"""Where a simulation's AWS lives: the memory backend (default: a year in seconds) or the
embedded emulator (every call over HTTP to moto, for fidelity checks).

Both offer what the local stack and the simulator need: clients for each service, the
tables built from the shared definitions, and cheap peeks the simulator uses to jump
straight to the next moment anything is due (stream length, ready queues, wake-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from kairos.store.schema import TABLES, create_table_request, table_name
from kairos_dev.local.emulator import (
    REGION,
    Emulator,
    install_clock,
    queue_ready,
    queue_wakeups,
    start_emulator,
    stream_length,
)
from kairos_dev.local.fake_ses import note
from kairos_dev.memory.aws import MemoryAws

BACKENDS = ("memory", "emulator")


class Backend(Protocol):
    name: str

    def client(self, service: str) -> Any: ...
    def environ(self) -> dict[str, str]: ...
    def create_tables(self, prefix: str) -> dict[str, str]: ...
    def stream_length(self, table: str) -> int: ...
    def queue_ready(self, url: str) -> bool: ...
    def queue_wakeups(self, urls: list[str]) -> list[float]: ...
    def expire(self, now: datetime) -> None: ...
    def stop(self) -> None: ...


class MemoryBackend:
    name = "memory"

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.aws = MemoryAws(clock)
        # SES publishes engagement events for what it sends: the same fake as the emulator's.
        self.aws.outbound.listeners.append(lambda email, params: note(email.message_id, params))

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def environ(self) -> dict[str, str]:
        # Nothing reads these for data (every client is injected); they keep any stray
        # boto3 client pointed nowhere real.
        return {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "memory",
            "AWS_SECRET_ACCESS_KEY": "memory",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }

    def create_tables(self, prefix: str) -> dict[str, str]:
        client = self.aws.client("dynamodb")
        names: dict[str, str] = {}
        for table in TABLES:
            client.create_table(**create_table_request(prefix, table))
            names[table.logical_id] = table_name(prefix, table)
        return names

    def stream_length(self, table: str) -> int:
        return len(self.aws.dynamodb.tables[table].stream)

    def queue_ready(self, url: str) -> bool:
        return self.aws.sqs.ready(url)

    def queue_wakeups(self, urls: list[str]) -> list[float]:
        return [t for url in urls for t in self.aws.sqs.by_url(url).wakeups()]

    def expire(self, now: datetime) -> None:
        self.aws.dynamodb.expire(now.timestamp())

    def stop(self) -> None:
        return None


class EmulatorBackend:
    name = "emulator"

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.emulator: Emulator = start_emulator()
        install_clock(clock)

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    def environ(self) -> dict[str, str]:
        return self.emulator.environ()

    def create_tables(self, prefix: str) -> dict[str, str]:
        return self.emulator.create_tables(prefix)

    def stream_length(self, table: str) -> int:
        return stream_length(table)

    def queue_ready(self, url: str) -> bool:
        return queue_ready(url.rsplit("/", 1)[-1])

    def queue_wakeups(self, urls: list[str]) -> list[float]:
        return [w for url in urls for w in queue_wakeups(url.rsplit("/", 1)[-1])]

    def expire(self, now: datetime) -> None:
        return None  # moto keeps expired items, as DynamoDB may for a while

    def stop(self) -> None:
        install_clock(None)
        self.emulator.stop()


def start_backend(name: str, clock: Callable[[], datetime]) -> Backend:
    if name == "memory":
        return MemoryBackend(clock)
    if name == "emulator":
        return EmulatorBackend(clock)
    raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
