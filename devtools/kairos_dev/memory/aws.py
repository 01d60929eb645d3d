"""The memory backend as a whole: one object that hands out boto3-shaped clients for
every AWS service Kairos calls, all sharing one clock (the simulator's virtual time).

`MemoryAws(clock).client("dynamodb")` is what `boto3.client("dynamodb")` is in Lambda:
the functions' wiring takes either. Request counts per service and operation are kept
for the benchmarks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kairos_dev.memory.dynamodb import MemoryDynamoDB, MemoryStreamsClient
from kairos_dev.memory.outbound import (
    MemoryOutbound,
    MemorySecretsClient,
    MemorySesClient,
    MemorySnsClient,
)
from kairos_dev.memory.sqs import MemorySQS


class MemoryAws:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.now = clock
        epoch: Callable[[], float] = lambda: clock().timestamp()  # noqa: E731
        self.dynamodb = MemoryDynamoDB(epoch)
        self.sqs = MemorySQS(epoch)
        self.outbound = MemoryOutbound(epoch)
        self._clients: dict[str, Any] = {
            "dynamodb": self.dynamodb.client(),
            "dynamodbstreams": MemoryStreamsClient(self.dynamodb),
            "sqs": self.sqs.client(),
            "sesv2": MemorySesClient(self.outbound),
            "sns": MemorySnsClient(self.outbound),
            "secretsmanager": MemorySecretsClient(self.outbound),
        }

    def client(self, service: str, **_: Any) -> Any:
        if service not in self._clients:
            raise ValueError(f"the memory backend has no {service}")
        return self._clients[service]

    def requests(self) -> Counter[str]:
        """Requests by `service.Operation`, for request-count figures."""
        counts: Counter[str] = Counter()
        for service, counter in (
            ("dynamodb", self.dynamodb.requests),
            ("sqs", self.sqs.requests),
            ("outbound", self.outbound.requests),
        ):
            for operation, count in counter.items():
                counts[f"{service}.{operation}"] += count
        return counts
