"""The frequency cap (SPEC §6): at most `max` non-transactional sends per member in any
`per` window, checked and counted in one conditional write so two concurrent senders
cannot both take the last slot.

The member's `FREQ` item keeps the recent sends as `{delivery_id: epoch seconds}` and a
`version`. Counting is idempotent: a delivery already in the window (a redelivered
message) is allowed again without counting twice. Entries older than the window are
pruned on every write, so the item stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kairos.delivery.model import Window
from kairos.delivery.ports import FrequencyWindows
from kairos.models.settings import FrequencyCap

__all__ = ["MAX_ATTEMPTS", "Decision", "Window", "check_and_count", "decide"]

MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class Decision:
    allowed: bool
    sends: dict[str, int]
    """The window to write (unchanged when nothing needs writing)."""
    write: bool


def decide(window: Window, now: datetime, cap: FrequencyCap, delivery_id: str) -> Decision:
    now_s = int(now.timestamp())
    horizon = now_s - cap.per.total_seconds()
    recent = {d: t for d, t in window.sends.items() if t > horizon}
    if delivery_id in recent:
        return Decision(allowed=True, sends=recent, write=False)
    if len(recent) >= cap.max:
        return Decision(allowed=False, sends=recent, write=False)
    recent[delivery_id] = now_s
    return Decision(allowed=True, sends=recent, write=True)


def check_and_count(
    store: FrequencyWindows,
    member_id: str,
    delivery_id: str,
    now: datetime,
    cap: FrequencyCap,
    known: Window | None = None,
) -> bool:
    """True when the send may go (and is now counted); False when it is over the cap.

    `known` is the window read with the batch's profiles; on a race it is re-read."""
    window = known if known is not None else store.get_window(member_id)
    for _ in range(MAX_ATTEMPTS):
        decision = decide(window, now, cap, delivery_id)
        if not decision.write:
            return decision.allowed
        if store.put_window(member_id, decision.sends, window):
            return True
        window = store.get_window(member_id)
    raise RuntimeError(f"frequency window of {member_id} kept changing")
