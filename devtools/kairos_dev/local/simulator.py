"""`kairos simulate`: the whole pipeline in virtual time.

Real webhook handler (events signed and posted through `/events`), real store (memory
backend or embedded emulator), stream → evaluator, virtual-clock ticks → evaluator,
queues → real sender → fake LINE (in process on the memory backend: sim_line.py) and
SES and SNS, and SES engagement events (deliveries, the mailbox simulator's bounces and
complaints) → real webhook, as the stack's EventBridge rule does. The clocks run on the
virtual clock too (SQS delays and visibility, stream record times), so nothing waits
for real time: the simulator jumps straight to the next moment anything is due — the
next input event, the next timer in the due index (seen on the table's stream), or the
next queued message coming back — and a year of a small brand takes seconds.

A member's own LINE event (`line.*`, with a `line_user_id`) comes with a reply token, as
LINE's webhook carries one: the fake LINE issues it at the event's time (usable once,
for a minute of simulated seconds), so a send the event makes due at once can reply.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kairos.aws import AwsClients, Boto3Clients
from kairos.clock import FixedClock, utc
from kairos.ingest.proofs import sign_identify
from kairos.ingest.signatures import sign_kairos
from kairos.models.events import IDENTIFIER_KINDS, CanonicalEvent, IsoTime
from kairos.observability import logger, metrics
from kairos.project import load_settings
from kairos.store.codec import from_item
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import Backend, MemoryBackend, start_backend
from kairos_dev.local.fake_ses import SesEventPump
from kairos_dev.local.functions import FunctionHost, load_function
from kairos_dev.local.pumps import QueuePump, StreamPump, schedule_event
from kairos_dev.local.runtime import has_function
from kairos_dev.local.stack import LocalStack, create_local_stack
from kairos_dev.member_import import row_events

STATUSES = ("sent", "capped", "unreachable", "failed", "quota_exceeded")


class SimulationInputError(ValueError):
    """An input file is wrong; the message names the file, the line and the field."""


SIM_SITE = {"key": "pk_simulate", "origins": ["https://shop.simulate.kairos.local"]}
"""The website a simulation's visitor lines come from (when KAIROS_COLLECT_SITES is unset)."""
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


class VisitorEvent(BaseModel):
    """A website visitor's line in the events file, posted to `POST /collect` as the
    snippet sends it (docs/tracking.md): `{"visitor": "anon-1", "id", "type", "time",
    "data"}`, or an identify the brand's server signed for that visitor: `{"visitor":
    "anon-1", "time", "identify": {"email": …}}` (the simulator signs it)."""

    model_config = ConfigDict(extra="forbid")
    visitor: str = Field(min_length=8, max_length=64)
    session: str | None = None
    id: str | None = None
    type: str | None = None
    time: IsoTime
    data: dict[str, Any] = Field(default_factory=dict)
    identify: dict[str, str] | None = None


InputEvent: TypeAlias = CanonicalEvent | VisitorEvent


def load_events(path: Path) -> list[InputEvent]:
    events: list[InputEvent] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            if '"visitor"' in line and '"member"' not in line:
                events.append(VisitorEvent.model_validate_json(line))
                continue
            events.append(CanonicalEvent.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "event"
            message = str(first["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}:{number}: {where}: {message}")
    if problems:
        raise SimulationInputError("\n".join(problems))
    # Time order; ties keep file order (sorted() is stable).
    return sorted(events, key=lambda e: utc(e.time))


def load_members(path: Path, at: datetime) -> list[CanonicalEvent]:
    """Members CSV, read as `kairos members import` reads it (kairos_dev.member_import):
    identifier columns (line_user_id, email, phone, external_id), a `tags` column
    (`;`-separated), `consent_<channel>` columns, anything else an attribute."""
    events: list[CanonicalEvent] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                events.extend(row_events(row, path.name, number, at))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                raise SimulationInputError(f"{path}:{number}: {where}: {first['msg']}") from None
    return events


@dataclass
class Delivery:
    time: datetime
    member: dict[str, str]
    channel: str | None
    journey: str
    step: str
    template: str
    status: str
    text: str | None
    member_id: str = ""
    reason: str | None = None
    via: str | None = None
    """How LINE sent it: `reply`, `push` or `multicast` (None: not sent, or not LINE)."""

    @property
    def route(self) -> str:
        """The channel, and for a LINE send the way it went: `line/reply`, `email`, `—`."""
        channel = self.channel or "—"
        return f"{channel}/{self.via}" if self.via else channel

    def as_json(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "member": self.member,
            "channel": self.channel,
            "via": self.via,
            "journey": self.journey,
            "step": self.step,
            "template": self.template,
            "status": self.status,
            "text": self.text,
        }


@dataclass
class Simulation:
    project_dir: str
    backend: Backend
    stack: LocalStack
    clock: FixedClock
    host: FunctionHost
    deliveries: list[Delivery] = field(default_factory=list)
    _due: list[tuple[float, str]] = field(default_factory=list)
    """(due time, timer key) of every timer written; a min-heap."""
    _gone: set[str] = field(default_factory=set)
    """Timers deleted before they came due (their tick is not needed)."""
    _fake_line: Any = None
    _log_level: int | None = None
    ses_events: Any = None
    """The emulator's SES engagement events (kairos_dev.local.fake_ses.SesEvents)."""
    progress: Callable[[datetime, int], None] | None = None
    """Told the virtual time and deliveries so far whenever a new day begins."""

    # ---- set-up ---------------------------------------------------------------------

    @classmethod
    def start(
        cls, project_dir: str, start: datetime, backend: str = "memory", prefix: str | None = None
    ) -> Simulation:
        clock = FixedClock(start)
        aws_backend = start_backend(backend, clock)
        # The emulator's state is process-wide: a unique prefix keeps runs apart.
        stack = create_local_stack(
            aws_backend, prefix=prefix or f"sim{uuid.uuid4().hex[:8]}", project_dir=project_dir
        )
        clients: AwsClients = (
            aws_backend.aws if isinstance(aws_backend, MemoryBackend) else Boto3Clients()
        )
        sim = cls(
            project_dir=project_dir,
            backend=aws_backend,
            stack=stack,
            clock=clock,
            host=FunctionHost(clients, {}, clock=clock),
        )
        sim._start_fakes()
        # The simulator's output is its deliveries: keep the functions' structured logs
        # to warnings and their metrics off (they describe real time, not virtual).
        stack.extra_env.update(
            {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
        )
        if not os.environ.get("KAIROS_COLLECT_SITES"):
            stack.extra_env["KAIROS_COLLECT_SITES"] = json.dumps([SIM_SITE])
        sim._log_level = logger.log_level
        logger.setLevel("WARNING")
        stack.activate()
        sim.host.environ.update(stack.environ())
        for name in ("webhook", "evaluator", "sender"):
            if has_function(name):
                load_function(name, fresh=True)
        return sim

    def _start_fakes(self) -> None:
        from kairos_dev.local.fake_ses import SesEvents
        from kairos_dev.local.outbox import verify_sender
        from kairos_dev.local.sim_line import deploy_menus, simulated_line

        in_process = isinstance(self.backend, MemoryBackend)
        line = simulated_line(self.stack, self.host.aws, self.clock, in_process=in_process)
        self._fake_line = line.fake
        deploy_menus(line.fake, self.project_dir)
        self.host.options["sender"] = line.sender
        self.stack.extra_env.setdefault("KAIROS_TRACKING_BASE_URL", "https://kairos.local/t/")
        settings = load_settings(self.project_dir)
        verify_sender(self.stack.client("sesv2"), settings.channels.email.from_)
        self.ses_events = SesEvents(self.stack.prefix, clock=self.clock)

    def stop(self) -> None:
        if self._fake_line is not None:
            self._fake_line.stop()
        self.backend.stop()
        if self._log_level is not None:
            # The functions' logger is the process's: a command run after this one
            # (the demo's ingest, a test) logs at its own level again.
            logger.setLevel(self._log_level)

    # ---- the loop -------------------------------------------------------------------

    def run(self, events: list[InputEvent], until: datetime) -> list[Delivery]:
        stream = StreamPump(
            self.stack.client("dynamodb"),
            self.stack.client("dynamodbstreams"),
            self.stack.tables["main"],
            self._invoke_evaluator,
            observer=self._observe,
            peek=lambda: self.backend.stream_length(self.stack.tables["main"]),
        )
        sqs = self.stack.client("sqs")
        queues = (
            [
                QueuePump(sqs, url, self._invoke_sender, ready=self._ready(url))
                for url in self.stack.queues.values()
            ]
            if has_function("sender")
            else []
        )
        pending = list(events)
        index = 0
        end = utc(until)

        def email_event(event: dict[str, Any]) -> None:
            self.host.invoke("webhook", event)
            metrics.clear_metrics()

        ses = SesEventPump(self.ses_events, email_event)

        def drain() -> None:
            idle = 0
            while idle < 2:
                moved = stream.pump_once() + sum(q.pump_once() for q in queues)
                moved += ses.pump_once()
                # Idle only once the stream is read to its end: records the evaluator
                # ignores (timeline entries, timers) are still observed.
                idle = idle + 1 if moved == 0 and not stream.behind else 0

        if has_function("evaluator"):
            # EventBridge ticks from the start: the first tick puts each schedule
            # journey's next firing in the due index, where the loop finds it — also in
            # a project where nothing else ever sets a timer.
            self._invoke_evaluator(schedule_event(self.clock()))

        while True:
            drain()
            candidates: list[datetime] = []
            if index < len(pending):
                candidates.append(utc(pending[index].time))
            while self._due and self._due[0][1] in self._gone:
                self._gone.discard(heapq.heappop(self._due)[1])
            if self._due:
                candidates.append(_tick_time(self._due[0][0]))
            wakeups = [
                w for w in self.backend.queue_wakeups(list(self.stack.queues.values()))
                if w > self.clock().timestamp()
            ]  # fmt: skip
            if wakeups:
                candidates.append(datetime.fromtimestamp(min(wakeups), tz=UTC))
            if not candidates:
                break
            moment = max(min(candidates), self.clock())
            if moment > end:
                break
            if moment.date() != self.clock().date():
                # A new day: TTL deletes what expired (DynamoDB does it within days).
                self.backend.expire(moment)
                if self.progress is not None:
                    self.progress(moment, len(self.deliveries))
            self.clock.set(moment)
            while index < len(pending) and utc(pending[index].time) <= moment:
                self._post(pending[index])
                index += 1
                drain()
            if self._due and _tick_time(self._due[0][0]) <= moment:
                while self._due and _tick_time(self._due[0][0]) <= moment:
                    heapq.heappop(self._due)
                if has_function("evaluator"):
                    self._invoke_evaluator(schedule_event(moment))
        return sorted(self.deliveries, key=lambda d: d.time)

    def _ready(self, url: str) -> Callable[[], bool]:
        return lambda: self.backend.queue_ready(url)

    def _post(self, event: InputEvent) -> None:
        if isinstance(event, VisitorEvent):
            self._collect(event)
            return
        event = self._with_reply_token(event)
        body = json.dumps(event.model_dump(mode="json"), ensure_ascii=False).encode()
        headers = {"X-Kairos-Signature": sign_kairos(body, self.stack.secrets.webhook_secret)}
        request = proxy_event(
            "POST", "/events", headers, body, int(self.clock().timestamp() * 1000)
        )
        answer = self.host.invoke("webhook", request)
        metrics.clear_metrics()  # disabled metrics are never flushed: drop them instead
        if answer["statusCode"] != 200:
            raise SimulationInputError(f"event {event.id} refused: {answer['body']}")

    def _with_reply_token(self, event: CanonicalEvent) -> CanonicalEvent:
        """A member's own LINE event with the reply token LINE's webhook would carry,
        issued by the fake LINE at the event's time; any other event as it is."""
        user = event.member.line_user_id
        if (
            self._fake_line is None
            or not event.type.startswith("line.")
            or user is None
            or event.reply_token is not None
        ):
            return event
        token = self._fake_line.issue_reply_token(user, at=utc(event.time).timestamp())
        return event.model_copy(update={"reply_token": token})

    def _collect(self, event: VisitorEvent) -> None:
        """A visitor's line through `POST /collect`, as the site's snippet sends it."""
        sites = json.loads(self.host.environ.get("KAIROS_COLLECT_SITES") or "[]")
        site = sites[0]
        at = utc(event.time)
        body: dict[str, Any] = {
            "key": site["key"], "visitor": event.visitor,
            "session": event.session or f"{event.visitor}-{at:%Y%m%d}",
            "sentAt": at.isoformat(), "events": [],
        }  # fmt: skip
        if event.type is not None:
            event_id = event.id or f"{event.visitor}-{at.timestamp():.0f}"
            body["events"].append(
                {"id": event_id, "type": event.type, "time": at.isoformat(), "data": event.data}
            )
        if event.identify is not None:
            claims = {**event.identify, "exp": int(at.timestamp()) + 3600}
            payload, signature = sign_identify(self.stack.secrets.webhook_secret, claims)
            body["identity"] = {"payload": payload, "signature": signature}
        headers = {"Origin": site["origins"][0], "User-Agent": BROWSER}
        request = proxy_event(
            "POST", "/collect", headers, json.dumps(body, ensure_ascii=False).encode(),
            int(self.clock().timestamp() * 1000),
        )  # fmt: skip
        answer = self.host.invoke("webhook", request)
        metrics.clear_metrics()
        if answer["statusCode"] != 200:
            raise SimulationInputError(f"visitor {event.visitor} refused: {answer['body']}")

    def _invoke_evaluator(self, event: dict[str, Any]) -> Any:
        if not has_function("evaluator"):
            return {}
        result = self.host.invoke("evaluator", event)
        metrics.clear_metrics()
        return result

    def _invoke_sender(self, event: dict[str, Any]) -> Any:
        result = self.host.invoke("sender", event)
        metrics.clear_metrics()
        return result

    # ---- what the stream shows ------------------------------------------------------

    def _observe(self, record: dict[str, Any]) -> None:
        keys = record["dynamodb"].get("Keys") or {}
        if record.get("eventName") == "REMOVE":
            if keys.get("pk", {}).get("S", "").startswith("DUE#"):
                self._gone.add(keys["pk"]["S"] + keys["sk"]["S"])
            return
        if record.get("eventName") != "INSERT":
            return
        image = record["dynamodb"].get("NewImage") or {}
        pk = image.get("pk", {}).get("S", "")
        sk = image.get("sk", {}).get("S", "")
        if pk.startswith("DUE#"):
            due = datetime.fromisoformat(image["due_at"]["S"])
            self._gone.discard(pk + sk)  # written again after a delete: alive
            heapq.heappush(self._due, (due.timestamp(), pk + sk))
        elif sk.startswith("TL#") and image.get("kind", {}).get("S", "").startswith("delivery."):
            entry = from_item(image)
            status = entry["kind"].removeprefix("delivery.")
            if status not in STATUSES:
                return
            data = entry.get("data") or {}
            member_id = pk.removeprefix("MEMBER#")
            self.deliveries.append(
                Delivery(
                    time=datetime.fromisoformat(entry["time"]),
                    member=self._identifiers(member_id),
                    channel=data.get("channel"),
                    journey=data.get("journey", ""),
                    step=data.get("step", ""),
                    template=data.get("template", ""),
                    status=status,
                    text=data.get("text"),
                    member_id=member_id,
                    reason=data.get("reason"),
                    via=data.get("via"),
                )
            )

    def _identifiers(self, member_id: str) -> dict[str, str]:
        response = self.host.aws.client("dynamodb").get_item(
            TableName=self.stack.tables["main"],
            Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
            ProjectionExpression="identifiers",
        )
        item = response.get("Item")
        found = from_item(item).get("identifiers", {}) if item else {}
        return {k: found[k] for k in IDENTIFIER_KINDS if k in found}


def _tick_time(epoch: float) -> datetime:
    """EventBridge fires on whole minutes: a timer is picked at the first tick at or after it."""
    return datetime.fromtimestamp(math.ceil(epoch / 60) * 60, tz=UTC)


def load_inputs(
    events_file: Path, until: datetime, members_file: Path | None = None
) -> tuple[list[InputEvent], datetime]:
    """The events to apply, in order, and the virtual start: the first event's time, or
    a second before it when a members file is imported first."""
    events = load_events(events_file)
    start = utc(events[0].time) if events else utc(until)
    if members_file is not None:
        start = start - timedelta(seconds=1)
        events = [*load_members(members_file, start), *events]
    return events, start


def simulate(
    project_dir: str,
    events_file: Path,
    until: datetime,
    members_file: Path | None = None,
    backend: str = "memory",
) -> list[Delivery]:
    events, start = load_inputs(events_file, until, members_file)
    simulation = Simulation.start(project_dir, start, backend)
    try:
        return simulation.run(events, until)
    finally:
        simulation.stop()


def write_deliveries(deliveries: Iterable[Delivery], out: Path | None) -> None:
    lines = [json.dumps(d.as_json(), ensure_ascii=False) for d in deliveries]
    text = "\n".join(lines) + ("\n" if lines else "")
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
