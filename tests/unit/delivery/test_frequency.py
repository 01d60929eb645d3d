"""The frequency cap, checked and counted in one conditional write."""

from __future__ import annotations

from datetime import datetime, timedelta

from kairos.delivery.frequency import Window, check_and_count, decide
from kairos.models.settings import Duration, FrequencyCap
from tests.unit.delivery.fakes import MemoryWindows

NOW = datetime.fromisoformat("2026-03-01T10:00:00+08:00")
CAP = FrequencyCap(max=2, per=Duration(days=7))


def test_sends_within_the_cap_are_counted_and_the_next_is_capped() -> None:
    store = MemoryWindows()
    assert check_and_count(store, "m", "d-1", NOW, CAP)
    assert check_and_count(store, "m", "d-2", NOW + timedelta(hours=1), CAP)
    assert not check_and_count(store, "m", "d-3", NOW + timedelta(hours=2), CAP)
    assert set(store.get_window("m").sends) == {"d-1", "d-2"}


def test_a_redelivered_send_is_allowed_again_without_counting_twice() -> None:
    store = MemoryWindows()
    assert check_and_count(store, "m", "d-1", NOW, CAP)
    writes = store.writes
    assert check_and_count(store, "m", "d-1", NOW, CAP)
    assert store.writes == writes


def test_old_sends_leave_the_window() -> None:
    store = MemoryWindows()
    check_and_count(store, "m", "d-1", NOW, CAP)
    check_and_count(store, "m", "d-2", NOW, CAP)
    assert check_and_count(store, "m", "d-3", NOW + timedelta(days=7, seconds=1), CAP)
    assert set(store.get_window("m").sends) == {"d-3"}


def test_a_lost_race_rereads_and_decides_again() -> None:
    # Given another sender takes the second slot between our read and our write
    store = MemoryWindows()
    check_and_count(store, "m", "d-1", NOW, CAP)
    known = store.get_window("m")
    store.race_once = True
    # When we try the third send with the stale window
    allowed = check_and_count(store, "m", "d-3", NOW, CAP, known=known)
    # Then the re-read shows the cap reached
    assert not allowed


def test_decide_is_pure() -> None:
    window = Window({"d-1": int(NOW.timestamp())}, 3, True)
    decision = decide(window, NOW, CAP, "d-2")
    assert decision.allowed and decision.write and set(decision.sends) == {"d-1", "d-2"}
    assert window.sends == {"d-1": int(NOW.timestamp())}
