"""The seconds a simulation's rate limiter counts its windows in, and waits in.

The sender's limiter (kairos.delivery.limiter) counts sends per epoch second and, when a
second is spent, waits for the next. In Lambda those are wall-clock seconds and a real
sleep; in a simulation they are `SimulatedSeconds`: they follow the virtual clock, and a
wait moves them on instead of sleeping. So a simulated year never waits in real time,
the sends are paced as they would be (no window over the brand's rate), and the rate
counters' expiry follows the simulated days like every other item's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from kairos.delivery.limiter import Pace


class SimulatedSeconds:
    """Epoch seconds never behind the virtual clock nor behind what a wait reached."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._reached = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return max(self.clock().timestamp(), self._reached)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`: the seconds move on, the process does not."""
        with self._lock:
            self._reached = max(self.clock().timestamp(), self._reached) + max(0.0, seconds)

    @property
    def pace(self) -> Pace:
        return Pace(clock=self.now, sleep=self.sleep)
