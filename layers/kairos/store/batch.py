"""BatchGetItem and BatchWriteItem done once: chunks of 100 keys (25 writes), what comes
back unprocessed asked again with a backoff. Every store reads and writes several items
this way."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from typing import Any

from kairos.store.codec import to_attr

BATCH_GET_MAX = 100
BATCH_WRITE_MAX = 25

ItemKey = tuple[str, str]


def pause(attempt: int) -> int:
    """Unprocessed items mean the table is busy: back off before asking again."""
    time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))
    return attempt + 1


def batch_get(
    client: Any,
    table: str,
    item_keys: Iterable[ItemKey],
) -> dict[ItemKey, dict[str, Any]]:
    """The items found for these keys (strongly consistent), as low-level items."""
    unique = list(dict.fromkeys(item_keys))
    found: dict[ItemKey, dict[str, Any]] = {}
    for start in range(0, len(unique), BATCH_GET_MAX):
        chunk = unique[start : start + BATCH_GET_MAX]
        request: Any = {
            table: {
                "Keys": [{"pk": to_attr(pk), "sk": to_attr(sk)} for pk, sk in chunk],
                "ConsistentRead": True,
            }
        }
        attempt = 0
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            request = response.get("UnprocessedKeys") or {}
            attempt = pause(attempt) if request else attempt
    return found


def batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """`PutRequest`s and `DeleteRequest`s, 25 a call, unprocessed ones sent again after a
    backoff until none is left. A key may appear once per call (DynamoDB refuses two)."""
    for start in range(0, len(requests), BATCH_WRITE_MAX):
        request: Any = {table: requests[start : start + BATCH_WRITE_MAX]}
        attempt = 0
        while request:
            response = client.batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            attempt = pause(attempt) if request else attempt
