"""`monthly_limit_reached: next_month`: a send LINE's month cannot take is kept (a due
timer puts it back on its queue then), its claim released, nothing recorded as sent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kairos.delivery.model import MonthlyLimit
from kairos.models.send_request import SendRequest
from kairos.models.settings import Settings
from tests.unit.delivery.test_service import request, world

TAIPEI = ZoneInfo("Asia/Taipei")


class Holds:
    def __init__(self, fail: bool = False) -> None:
        self.kept: list[tuple[str, datetime]] = []
        self.fail = fail

    def hold(self, request: SendRequest, until: datetime) -> None:
        if self.fail:
            raise RuntimeError("table unavailable")
        self.kept.append((request.delivery_id, until))


def settings(**line: object) -> Settings:
    values = {"monthly_limit": 0, "monthly_limit_reached": "next_month", **line}
    return Settings.model_validate({"channels": {"line": values}})


def test_a_send_over_the_month_is_kept_for_the_first_of_the_next() -> None:
    holds = Holds()
    w = world(settings(), holds=holds)
    send = request(w.member("m1", name="Amy"))
    assert w.failed(w.send(send)) == []
    assert holds.kept == [(send.delivery_id, datetime(2026, 4, 1, tzinfo=TAIPEI))]
    assert w.line.calls == [] and send.delivery_id not in w.deliveries.records
    # The claim was released: the same send handed over again is kept again, not "done"
    w.send(send, receives=2)
    assert len(holds.kept) == 2


def test_quiet_hours_move_the_time_to_their_end() -> None:
    holds = Holds()
    quiet = Settings.model_validate(
        {**settings().model_dump(by_alias=True), "quiet_hours": {"start": "21:00", "end": "09:00"}}
    )
    w = world(quiet, holds=holds)
    w.send(request(w.member("m1")))
    assert [until for _, until in holds.kept] == [datetime(2026, 4, 1, 9, 0, tzinfo=TAIPEI)]


def test_a_hold_that_cannot_be_written_returns_the_message_to_the_queue() -> None:
    w = world(settings(), holds=Holds(fail=True))
    send = request(w.member("m1"))
    assert w.failed(w.send(send)) == [f"m-{send.delivery_id}"]
    assert w.line.calls == []


def test_a_transactional_send_line_refuses_for_the_month_goes_at_its_first_moment() -> None:
    # Given quiet hours, and LINE answering its monthly limit to a transactional send
    holds = Holds()
    quiet = Settings.model_validate(
        {**settings().model_dump(by_alias=True), "quiet_hours": {"start": "21:00", "end": "09:00"}}
    )
    w = world(quiet, holds=holds)
    w.line.failures.append(MonthlyLimit("LINE monthly limit reached"))
    w.send(request(w.member("m1"), transactional=True))
    # Then it is kept for midnight on the first: quiet hours do not hold a receipt back
    assert [until for _, until in holds.kept] == [datetime(2026, 4, 1, tzinfo=TAIPEI)]
