"""Sends kept for LINE's next month (ports.SendHolds): one due timer each, of the
evaluator's `effects` kind (kairos.evaluator.timer_kinds) — at its time the tick
replays the effect, a `Send` of the request, which puts it back on its channel queue.
The timer id is deterministic (`effects:month:<delivery id>:<iso time>`), so keeping
the same send twice keeps one timer. Written as the engine writes its timers
(`CommitItems`, one TransactWriteItems): the timer, its day's directory entry and the
member's reference to it, so an erasure cancels it with the member's other timers
(keys.py: due timer, due directory, timer reference)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kairos.clock import iso, utc
from kairos.engine.effects import Send
from kairos.models.send_request import SendRequest
from kairos.store.commit_items import CommitItems
from kairos.store.records import Commit, Timer
from kairos.store.timers import DueIndex

EFFECTS_KIND = "effects"
"""kairos.evaluator.timer_kinds.EFFECTS (the store does not import the evaluator)."""


class SendHoldStore:
    def __init__(self, table: str, client: Any, due_shards: int = 4) -> None:
        self.client = client
        self.due = DueIndex(table, client, shards=due_shards)
        # Timeline entries are not written here: their retention does not matter.
        self.items = CommitItems(table, self.due, timeline_ttl_days=0)

    def hold(self, request: SendRequest, until: datetime) -> None:
        key = f"month:{request.delivery_id}"
        timer = Timer(
            timer_id=f"effects:{key}:{iso(utc(until))}",
            due_at=utc(until),
            kind=EFFECTS_KIND,
            member_id=request.member_id,
            payload={"effects": [Send(request=request).model_dump(mode="json")], "key": key},
            referenced=True,
        )
        items = self.items.items(Commit(timers=[timer]))
        self.client.transact_write_items(TransactItems=items)
        self.due.committed(items)
