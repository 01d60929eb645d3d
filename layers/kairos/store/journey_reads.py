"""The console's reads of journeys and segments: who waits at a step (a page at a time),
how many wait there, how many members a segment holds. Bounded reads only: a page view
never walks a large partition to its end.

Access patterns (keys.py, docs/data-model.md):
- members at a step: Query gsi1 `JOURNEY#<id>` begins_with `<step>#`, `limit` items,
  1 request a page (items are whole enrolments, ~1-3 KB: a page of 50 reads 25-75 KB,
  under 10 read units)
- members at a step, counted: the same Query with `Select=COUNT`, stopped at `cap`
  members. DynamoDB bills COUNT by the items it reads: at the cap of 1,000 enrolments
  of ~2 KB that is ~2 MB, 1-2 requests and ~250 eventually consistent read units
  ($0.00006 on demand) per step per view; a journey page with 10 steps ~2,500 units
- a segment's size, counted: Query `SEGMENT#<id>` `Select=COUNT`, stopped at `cap`
  members. Its items are ~90 bytes: the cap of 10,000 is ~0.9 MB, 1 request and ~110
  read units per segment per view; a segment past the cap shows as "10,000+"

Cursors are the last key DynamoDB evaluated, as URL-safe base64 JSON, so a page starts
where the last one stopped, whatever the index's layout.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import boto3

from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.codec import from_item, to_attr

WAITING_CAP = 1000
"""A step's waiting members are counted up to this many."""
SEGMENT_CAP = 10_000
"""A segment's members are counted up to this many."""


class BadCursor(ValueError):
    """A cursor this store did not write."""


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode()


def decode_cursor(cursor: str | None, names: tuple[str, ...]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor("cursor is not one this list gave") from None
    if not isinstance(plain, dict) or set(plain) != set(names):
        raise BadCursor("cursor is not one this list gave")
    return {name: to_attr(str(plain[name])) for name in names}


_INDEX_KEY = ("pk", "sk", "gsi1pk", "gsi1sk")


class JourneyReads:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")

    def _at_step(self, journey_id: str, step: str) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND begins_with(gsi1sk, :step)",
            "ExpressionAttributeValues": {
                ":pk": to_attr(keys.journey_pk(journey_id)),
                ":step": to_attr(f"{step}#"),
            },
        }

    def step_members(
        self, journey_id: str, step: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[Enrolment], str | None]:
        """Live enrolments at the step, in member id order, a page at a time."""
        kwargs = self._at_step(journey_id, step)
        start = decode_cursor(cursor, _INDEX_KEY)
        if start:
            kwargs["ExclusiveStartKey"] = start
        found: list[Enrolment] = []
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            response = self.client.query(**kwargs)
            found.extend(
                Enrolment.model_validate(from_item(i)["enrolment"]) for i in response["Items"]
            )
            last = response.get("LastEvaluatedKey")
            if not last:
                return found, None
            kwargs["ExclusiveStartKey"] = last
        last_key = {name: kwargs["ExclusiveStartKey"][name] for name in _INDEX_KEY}
        return found, encode_cursor(last_key)

    def waiting_count(self, journey_id: str, step: str, cap: int = WAITING_CAP) -> int:
        """Members at the step now, counted up to `cap`."""
        return self._count(self._at_step(journey_id, step), cap)

    def segment_size(self, segment_id: str, cap: int = SEGMENT_CAP) -> tuple[int, bool]:
        """(members in the segment up to `cap`, whether that is all of them)."""
        kwargs = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(keys.segment_pk(segment_id))},
        }
        counted = self._count(kwargs, cap + 1)
        return min(counted, cap), counted <= cap

    def _count(self, kwargs: dict[str, Any], cap: int) -> int:
        kwargs = {**kwargs, "Select": "COUNT"}
        counted = 0
        while counted < cap:
            kwargs["Limit"] = cap - counted
            response = self.client.query(**kwargs)
            counted += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            kwargs["ExclusiveStartKey"] = last
        return counted
