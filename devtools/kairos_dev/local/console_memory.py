"""`kairos local DIR --backend memory [--simulate-until TIME]`: the local API and the
console over the memory backend, optionally after a simulated stretch of the project's
own `members.csv` and `events.jsonl` (what `make console` shows a newcomer).

The store is the simulator's (kairos_dev.local.simulator): the same real functions on
the memory backend's clients. After the simulation, time goes on from where it ended
at the wall clock's pace: the virtual clock the functions, the queues and the API's
request times read is the simulation's end plus the seconds served since. Background
pumps play the stream → evaluator, every-minute schedule → evaluator, queues → sender
and SES events → webhook, as in `kairos local` on the emulator. The memory backend is
one process's dictionaries: every function call (an API request or a pump's batch)
holds one lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kairos.clock import utc
from kairos.observability import logger, metrics
from kairos_dev.local.fake_ses import SesEventPump
from kairos_dev.local.http import LocalApi
from kairos_dev.local.pumps import QueuePump, StreamPump, schedule_event
from kairos_dev.local.runtime import has_function
from kairos_dev.local.simulator import Simulation, load_inputs


@dataclass
class MemoryRuntime:
    simulation: Simulation
    api: LocalApi
    simulated: int = 0
    """Input events the simulation applied before serving (0: none)."""
    deliveries: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _served_from: tuple[float, datetime] = (0.0, datetime.now(UTC))
    """(monotonic seconds, virtual time) when serving began."""

    @classmethod
    def start(
        cls,
        project_dir: str,
        port: int = 3000,
        simulate_until: datetime | None = None,
        console_users: list[str] | None = None,
        pumps: bool = True,
    ) -> MemoryRuntime:
        root = Path(project_dir)
        events: list[Any] = []
        start = datetime.now(UTC)
        if simulate_until is not None:
            members = root / "members.csv"
            events, start = load_inputs(
                root / "events.jsonl", simulate_until, members if members.exists() else None
            )
        # The memory backend is this runtime's own: its tables need no unique names, and
        # the console shows the stack's name as the brand's.
        simulation = Simulation.start(str(root), start, "memory", prefix="kairos-local")
        deliveries = simulation.run(events, simulate_until) if simulate_until else []
        if simulate_until is not None:
            simulation.clock.set(max(simulation.clock(), utc(simulate_until)))
        lock = threading.RLock()
        runtime = cls(
            simulation=simulation,
            api=LocalApi(
                port,
                simulation.host.invoke,
                console_users=console_users,
                now=lambda: runtime.now().timestamp(),
                serial=lock,
            ),
            simulated=len(events),
            deliveries=len(deliveries),
            _lock=lock,
        )
        runtime._served_from = (time.monotonic(), simulation.clock())
        runtime.api.start()
        if pumps:
            runtime._thread = threading.Thread(target=runtime._pump, name="memory-pumps")
            runtime._thread.daemon = True
            runtime._thread.start()
        return runtime

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def lock(self) -> threading.RLock:
        """Held by every function call; hold it to read the store from outside."""
        return self._lock

    def now(self) -> datetime:
        """The virtual time: where the simulation ended plus the seconds served since."""
        began, virtual = self._served_from
        return virtual + timedelta(seconds=time.monotonic() - began)

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        result = self.simulation.host.invoke(name, event)
        metrics.clear_metrics()  # disabled metrics are never flushed: drop them instead
        return result

    def _pump(self) -> None:
        sim = self.simulation
        table = sim.stack.tables["main"]
        stream = StreamPump(
            sim.stack.client("dynamodb"),
            sim.stack.client("dynamodbstreams"),
            table,
            lambda event: self._invoke("evaluator", event),
            peek=lambda: sim.backend.stream_length(table),
        )
        sqs = sim.stack.client("sqs")
        queues = [
            QueuePump(
                sqs,
                url,
                lambda event: self._invoke("sender", event),
                ready=lambda url=url: sim.backend.queue_ready(url),  # type: ignore[misc]
            )
            for url in sim.stack.queues.values()
            if has_function("sender")
        ]
        ses = SesEventPump(sim.ses_events, lambda event: self._invoke("webhook", event))
        last_tick: datetime | None = None
        while not self._stop.is_set():
            moved = 0
            with self._lock:
                try:
                    now = self.now()
                    sim.clock.set(now)
                    minute = now.replace(second=0, microsecond=0)
                    if has_function("evaluator") and (last_tick is None or minute > last_tick):
                        last_tick = minute
                        self._invoke("evaluator", schedule_event(minute))
                    if has_function("evaluator"):
                        moved += stream.pump_once()
                    moved += sum(queue.pump_once() for queue in queues)
                    moved += ses.pump_once()
                except Exception:  # a pump must outlive one bad batch, as Lambda does
                    logger.exception("local memory pump failed")
            if not moved:
                self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.api.stop()
        self.simulation.stop()
