"""Where the functions get their AWS clients: one client per service, built once.

`AwsClients` is the only thing wiring asks for; in Lambda it is `Boto3Clients` (keep-alive
connections, standard retries), in the simulator the memory backend hands out clients with
the same calls (kairos_dev.memory)."""

from __future__ import annotations

from typing import Any, Protocol

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    tcp_keepalive=True,
    max_pool_connections=20,
)


class AwsClients(Protocol):
    def client(self, service: str) -> Any: ...


class Boto3Clients:
    """boto3 clients from the environment (region, credentials, endpoint), one each."""

    def __init__(self, config: Config = CLIENT_CONFIG) -> None:
        self.config = config
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            factory: Any = boto3.client  # any service by name; the stubs want literals
            self._clients[service] = factory(service, config=self.config)
        return self._clients[service]
