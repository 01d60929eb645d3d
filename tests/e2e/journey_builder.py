"""A minimal brand project in a temporary directory, run through `kairos simulate`.

    project = BrandProject(tmp_path)
    project.template("hello", line="Hi {{ profile.name }}")
    project.journey('''
        id: welcome
        trigger: {event: line.follow}
        steps:
          - {id: hi, send: {channel: line, template: hello}}
    ''')
    deliveries = project.simulate([follow("U1", at="2026-03-02T10:00")], until="2026-03-10")

Everything is given as Python dicts or YAML text. Times without an offset are in the
brand time zone (Asia/Taipei, +08:00). `simulate` runs the whole pipeline in-process —
the real webhook handler, store, evaluator and sender on the embedded emulator, in
virtual time — and returns the delivery attempts in time order.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from kairos.project import load_project
from kairos_dev.local.simulator import Delivery, Simulation, load_inputs, simulate

TZ_OFFSET = "+08:00"

DEFAULT_SETTINGS: dict[str, Any] = {
    "timezone": "Asia/Taipei",
    # No quiet hours and no frequency cap unless a test asks for them.
    "channel_priority": ["line", "email", "sms"],
    "channels": {
        "line": {"rate_per_second": 2000, "monthly_limit": 30000},
        "email": {"rate_per_second": 14, "from": "hello@brand.example"},
        "sms": {"rate_per_second": 20},
    },
}


def at(text: str) -> str:
    """ISO time with the brand offset: "2026-03-01T10:00" → "2026-03-01T10:00:00+08:00";
    a bare date is local midnight."""
    if "T" not in text:
        text += "T00:00"
    if text.count(":") == 1:
        text += ":00"
    if not (text.endswith("Z") or "+" in text[10:] or "-" in text[10:]):
        text += TZ_OFFSET
    return text


def local(delivery: Delivery) -> str:
    """A delivery's time as brand-local "YYYY-MM-DDTHH:MM" (seconds dropped when zero)."""
    moment = delivery.time.astimezone(datetime.fromisoformat(at("2026-01-01")).tzinfo)
    shown = moment.strftime("%Y-%m-%dT%H:%M")
    return shown if moment.second == 0 else moment.strftime("%Y-%m-%dT%H:%M:%S")


# ---- events ---------------------------------------------------------------------------------

_counter = {"n": 0}


def event(
    kind: str,
    when: str,
    member: Mapping[str, str] | str,
    data: Mapping[str, Any] | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A canonical event. `member` is an identifiers mapping or a LINE user id."""
    _counter["n"] += 1
    identifiers = {"line_user_id": member} if isinstance(member, str) else dict(member)
    return {
        "id": id or f"evt-{_counter['n']:05d}",
        "type": kind,
        "time": at(when),
        "member": identifiers,
        "data": dict(data or {}),
    }


def follow(member: Mapping[str, str] | str, when: str, **data: Any) -> dict[str, Any]:
    return event("line.follow", when, member, data)


def profile(member: Mapping[str, str] | str, when: str, **data: Any) -> dict[str, Any]:
    return event("profile.updated", when, member, data)


def order(
    member: Mapping[str, str] | str,
    when: str,
    total: float = 500,
    category: str = "general",
    sku: str = "SKU-1",
    **data: Any,
) -> dict[str, Any]:
    _counter["n"] += 1
    body = {
        "order_id": f"A{_counter['n']:05d}",
        "total": total,
        "currency": "TWD",
        "items": [{"sku": sku, "name": sku, "category": category, "qty": 1, "price": total}],
        **data,
    }
    return event("order.created", when, member, body)


# ---- the project ----------------------------------------------------------------------------


def _text(spec: str | Mapping[str, Any]) -> str:
    if isinstance(spec, str):
        return textwrap.dedent(spec).strip() + "\n"
    return yaml.safe_dump(dict(spec), allow_unicode=True, sort_keys=False)


def _id_of(spec: str | Mapping[str, Any]) -> str:
    loaded = yaml.safe_load(_text(spec)) if isinstance(spec, str) else spec
    return str(loaded["id"])


@dataclass
class Outcome:
    """What a simulation produced, with shorthands for exact assertions."""

    deliveries: list[Delivery]

    def rows(self, *, text: bool = False) -> list[tuple[Any, ...]]:
        """(local time, who, journey, step, template, channel, status[, text]) in time order
        (same time: by who); `who` is the LINE user id, else the email, else the phone."""
        out = []
        for d in self.deliveries:
            who = d.member.get("line_user_id") or d.member.get("email") or d.member.get("phone")
            row: tuple[Any, ...] = (
                local(d),
                who,
                d.journey,
                d.step,
                d.template,
                d.channel,
                d.status,
            )
            out.append((*row, d.text) if text else row)
        return sorted(out, key=lambda r: (r[0], r[1]))

    def short(self) -> list[tuple[str, str, str, str]]:
        """(local time, who, step, status): enough for most journeys of one template."""
        return [(r[0], r[1], r[3], r[6]) for r in self.rows()]

    def of(self, who: str) -> list[tuple[Any, ...]]:
        return [r for r in self.rows() if r[1] == who]

    def steps_of(self, who: str) -> list[str]:
        return [r[3] for r in self.of(who)]


class BrandProject:
    def __init__(self, root: Path, settings: Mapping[str, Any] | None = None, **overrides: Any):
        self.root = root / "brand"
        for sub in ("journeys", "templates", "segments"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        merged = {**DEFAULT_SETTINGS, **dict(settings or {}), **overrides}
        (self.root / "kairos.yaml").write_text(
            yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    def journey(self, spec: str | Mapping[str, Any]) -> BrandProject:
        """A journey; `name` defaults to its id."""
        id = _id_of(spec)
        text = _text(spec)
        if not any(line.startswith("name:") for line in text.splitlines()):
            text = f"name: {id}\n" + text
        (self.root / "journeys" / f"{id}.yaml").write_text(text, encoding="utf-8")
        return self

    def segment(self, id: str, where: Mapping[str, Any]) -> BrandProject:
        text = _text({"id": id, "name": id, "where": dict(where)})
        (self.root / "segments" / f"{id}.yaml").write_text(text, encoding="utf-8")
        return self

    def template(
        self,
        id: str,
        line: str | None = None,
        email: str | None = None,
        sms: str | None = None,
    ) -> BrandProject:
        """A template whose text (LINE, SMS) or subject (email) is the given Jinja2."""
        spec: dict[str, Any] = {"id": id}
        if line is not None:
            spec["line"] = {"text": line}
        if email is not None:
            spec["email"] = {"subject": email, "text": email}
        if sms is not None:
            spec["sms"] = {"text": sms}
        (self.root / "templates" / f"{id}.yaml").write_text(_text(spec), encoding="utf-8")
        return self

    @contextmanager
    def running(
        self, events: Iterable[Mapping[str, Any]], until: str, backend: str = "memory"
    ) -> Iterator[Simulation]:
        """The simulation after these events ran until `until` (its store and fakes
        still up to look at); the process environment is as before once it stops."""
        events_file = self.root.parent / "events.jsonl"
        lines = [json.dumps(dict(e), ensure_ascii=False) for e in events]
        events_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        end = datetime.fromisoformat(at(until))
        loaded, start = load_inputs(events_file, end)
        saved = dict(os.environ)
        simulation = Simulation.start(str(self.root), start, backend)
        try:
            simulation.run(loaded, end)
            yield simulation
        finally:
            simulation.stop()
            os.environ.clear()
            os.environ.update(saved)

    def simulate(self, events: Iterable[Mapping[str, Any]], until: str) -> Outcome:
        events_file = self.root.parent / "events.jsonl"
        lines = [json.dumps(dict(e), ensure_ascii=False) for e in events]
        events_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load_project(str(self.root))  # a broken project fails here, with its messages
        saved = dict(os.environ)
        try:
            deliveries = simulate(str(self.root), events_file, datetime.fromisoformat(at(until)))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return Outcome(deliveries)
