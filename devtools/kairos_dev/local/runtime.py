"""`kairos local`: the whole pipeline in real time on this machine.

The embedded emulator holds the tables, secrets and queues; the local API serves the
webhook routes; background pumps play Lambda's event source mappings (stream →
evaluator, every-minute schedule → evaluator, queues → sender) for the functions that
exist, and the SES engagement rule (the emulator's SES events → webhook).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kairos.aws import Boto3Clients
from kairos.observability import logger
from kairos_dev.local.emulator import Emulator, start_emulator
from kairos_dev.local.functions import FUNCTIONS_DIR, FunctionHost, load_function
from kairos_dev.local.http import LocalApi
from kairos_dev.local.pumps import QueuePump, StreamPump, schedule_event
from kairos_dev.local.stack import LocalStack, create_local_stack

SESSION_FILE = Path(".kairos") / "local.json"


def write_session(stack: LocalStack) -> None:
    """Tell other `kairos` commands in this directory where the running stack is."""
    SESSION_FILE.parent.mkdir(exist_ok=True)
    SESSION_FILE.write_text(json.dumps(stack.environ(), indent=2))


def read_session() -> dict[str, str] | None:
    if not SESSION_FILE.exists():
        return None
    data: dict[str, str] = json.loads(SESSION_FILE.read_text())
    return data


def _adopter(fake: Any) -> Callable[[bytes], None]:
    """What the local API tells the fake LINE of a LINE webhook body: its reply tokens,
    so a journey's answer to a follow or a postback can reply as it would on LINE."""

    def adopt(body: bytes) -> None:
        try:
            events = json.loads(body).get("events") or []
        except (ValueError, AttributeError):
            return  # the webhook answers it with its own 400
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            token, source = event.get("replyToken"), event.get("source") or {}
            user = source.get("userId") if isinstance(source, dict) else None
            if isinstance(token, str) and token and isinstance(user, str):
                fake.reply_tokens.adopt(token, user, fake.clock())

    return adopt


def has_function(name: str) -> bool:
    return (FUNCTIONS_DIR / name / "handler.py").exists()


@dataclass
class LocalRuntime:
    emulator: Emulator
    stack: LocalStack
    api: LocalApi
    extra_env: dict[str, str] = field(default_factory=dict)
    fake_line: Any = None
    host: FunctionHost = field(default_factory=lambda: FunctionHost(Boto3Clients(), {}))
    ses_events: Any = None
    """The emulator's SES engagement events (kairos_dev.local.fake_ses.SesEvents)."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        project_dir: str | None,
        port: int = 3000,
        extra_env: dict[str, str] | None = None,
        pumps: bool = True,
        prefix: str = "kairos",
        console_users: list[str] | None = None,
    ) -> LocalRuntime:
        """`prefix` names the tables, secrets and queues; the emulator's state is
        process-wide, so two runtimes in one process need different prefixes."""
        emulator = start_emulator()
        stack = create_local_stack(emulator, prefix=prefix, project_dir=project_dir)
        stack.extra_env.update(extra_env or {})
        host = FunctionHost(Boto3Clients(), {})
        api = LocalApi(port, host.invoke, console_users=console_users)
        stack.extra_env.setdefault("KAIROS_TRACKING_BASE_URL", f"{api.url}/t/")
        fake_line = None
        ses_events = None
        if pumps and has_function("sender"):
            # Sends go to a local fake LINE API and the emulator's SES and SNS: nothing
            # leaves this machine.
            from kairos.project import load_settings
            from kairos_dev.local.fake_line import start_fake_line
            from kairos_dev.local.fake_ses import SesEvents
            from kairos_dev.local.outbox import verify_sender

            fake_line = start_fake_line(token=stack.secrets.line_channel_token)
            stack.extra_env.setdefault("KAIROS_LINE_API_ENDPOINT", fake_line.url)
            api.server.line_webhook_seen = _adopter(fake_line)  # type: ignore[attr-defined]
            verify_sender(stack.client("sesv2"), load_settings(project_dir).channels.email.from_)
            ses_events = SesEvents(stack.prefix)
        stack.activate()
        host.environ.update(stack.environ())
        for name in ("webhook", "evaluator", "sender"):
            if has_function(name):
                load_function(name, fresh=True)
        runtime = cls(
            emulator=emulator,
            stack=stack,
            api=api.start(),
            fake_line=fake_line,
            host=host,
            ses_events=ses_events,
        )
        write_session(stack)
        if pumps:
            runtime._start_pumps()
        return runtime

    def _loop(self, name: str, step: Any, idle_seconds: float) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    busy = step()
                except Exception:  # a pump must outlive one bad batch, as Lambda does
                    logger.exception("local pump failed", extra={"pump": name})
                    busy = 0
                if not busy:
                    self._stop.wait(idle_seconds)

        thread = threading.Thread(target=run, name=f"pump-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start_pumps(self) -> None:
        if has_function("evaluator"):
            stream = StreamPump(
                self.stack.client("dynamodb"),
                self.stack.client("dynamodbstreams"),
                self.stack.tables["main"],
                lambda event: self.host.invoke("evaluator", event),
            )
            self._loop("stream", stream.pump_once, 0.2)
            last_minute: list[datetime] = []

            def tick() -> int:
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                if last_minute and last_minute[0] >= now:
                    return 0
                last_minute[:] = [now]
                self.host.invoke("evaluator", schedule_event(now))
                return 0

            self._loop("schedule", tick, 1.0)
            # The stack's other rule, the daily read of LINE's unit statistics
            # (`{"kairos": "refresh-line-units"}`, infra/constructs/evaluator.py), is
            # deliberately not run here (it would ask the fake LINE once a day, at 03:30
            # Taipei): `kairos stats --refresh-line-units` does the same on demand.
        if has_function("sender"):
            sqs = self.stack.client("sqs")
            for channel, url in self.stack.queues.items():
                queue = QueuePump(sqs, url, lambda event: self.host.invoke("sender", event))
                self._loop(f"queue-{channel}", queue.pump_once, 0.2)
        if self.ses_events is not None and has_function("webhook"):
            from kairos_dev.local.fake_ses import SesEventPump

            def email_event(event: dict[str, Any]) -> Any:
                with self.api.serial:  # one webhook call at a time, as the API makes them
                    return self.host.invoke("webhook", event)

            ses = SesEventPump(self.ses_events, email_event)
            self._loop("ses-events", ses.pump_once, 0.2)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.api.stop()
        if self.fake_line is not None:
            self.fake_line.stop()
        self.emulator.stop()
