"""A send kept for LINE's next month (kairos.store.send_holds) is a due timer the
evaluator's tick finds in its hour, and the member's partition names it, the same on
both backends; keeping it twice keeps one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kairos.engine.effects import Send
from kairos.models.send_request import SendRequest
from kairos.store import keys
from kairos.store.send_holds import SendHoldStore
from kairos.store.timers import DueIndex
from tests.contract.conftest import START, Side


def test_a_kept_send_is_due_at_the_month_start_once(side: Side) -> None:
    request = SendRequest.model_validate(
        {"delivery_id": "d-1", "member_id": "m1", "enrolment_id": "e1", "journey": "news",
         "journey_version": "1", "step": "news", "template": "news", "template_version": "1",
         "channel": "line", "requested_at": START}
    )  # fmt: skip
    until = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Taipei
    store = SendHoldStore(side.table, side.client("dynamodb"))
    store.hold(request, until)
    store.hold(request, until)
    index = DueIndex(side.table, side.client("dynamodb"))
    buckets = index.buckets_to_visit(None, until + timedelta(minutes=1))
    found = [t for b in buckets for t in index.due(b, until + timedelta(minutes=1))]
    assert [(t.timer.kind, t.timer.due_at) for t in found] == [("effects", until)]
    [effect] = found[0].timer.payload["effects"]
    assert Send.model_validate(effect).request == request
    assert index.due(buckets[-1], until - timedelta(minutes=1)) == []
    # The member's partition names it, so erasing the member cancels it (members.erase)
    ref = (
        side.client("dynamodb")
        .get_item(
            TableName=side.table,
            Key={
                "pk": {"S": keys.member_pk("m1")},
                "sk": {"S": keys.timer_ref_sk(found[0].timer.timer_id)},
            },
        )
        .get("Item")
    )
    assert ref is not None and ref["kind"] == {"S": "effects"}
