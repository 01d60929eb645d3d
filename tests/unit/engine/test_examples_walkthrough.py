"""The example brand's year, driven through the pure engine in memory.

Not the simulator (that runs the real pipeline on the emulator): a minimal in-memory
evaluator using only the engine's public interface — the same calls the evaluator
Lambda makes — to show every example journey is reachable from `events.jsonl` and the
interfaces fit together: entry decisions, segment entry (by events and by time alone),
date and schedule triggers, timers, wait_for, goals and member changes.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kairos.engine.advance import on_event, resume, start
from kairos.engine.derived import member_context
from kairos.engine.effects import EnterJourney, HeldOut, MemberChange, Send, Timer
from kairos.engine.enrolment import Enrolment
from kairos.engine.entry import entry_allowed, segment_entered, should_enrol
from kairos.engine.steps import Outcome, Runtime
from kairos.engine.triggers import (
    date_trigger_event,
    next_date_fire_for,
    next_schedule_fire,
    schedule_trigger_event,
    segment_recheck_at,
    segment_trigger_event,
)
from kairos.ingest.profile import Snapshot, plan
from kairos.models.events import CanonicalEvent
from kairos.models.member import Member
from kairos.project import Project, load_project

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
END = datetime.fromisoformat("2026-12-31T23:59:00+08:00")


@dataclass
class World:
    project: Project
    runtime: Runtime
    members: dict[str, Member] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    by_member: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    timers: list[tuple[datetime, int, str, str]] = field(default_factory=list)
    """(at, seq, kind, key): kind enrolment | date:<journey>:<member> | schedule:<journey> | segment:<member>."""
    sends: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    held_out: list[tuple[str, str]] = field(default_factory=list)
    seq: int = 0

    def at(self, when: datetime, kind: str, key: str) -> None:
        self.seq += 1
        heapq.heappush(self.timers, (when, self.seq, kind, key))

    def ctx(
        self, member_id: str, now: datetime, trigger: Any = None, event: Any = None
    ) -> dict[str, Any]:
        return member_context(
            self.members[member_id], self.project.settings, now, trigger=trigger, event=event
        )

    def history(self, journey: str, member_id: str) -> list[Enrolment]:
        return [
            self.enrolments[e]
            for e in self.by_member[member_id]
            if self.enrolments[e].journey == journey
        ]

    def apply(self, outcome: Outcome, now: datetime) -> None:
        e = outcome.enrolment
        if outcome.changed:
            stored = self.enrolments.get(e.id)
            assert (
                stored is None or stored.version == outcome.expected_version
            )  # the conditional write
            if stored is None:
                self.by_member[e.member_id].append(e.id)
            self.enrolments[e.id] = e
        for effect in outcome.effects:
            if isinstance(effect, Send):
                self.sends.append(
                    (now, effect.request.member_id, effect.request.journey, effect.request.template)
                )
            elif isinstance(effect, HeldOut):
                self.held_out.append((effect.journey, effect.member_id))
            elif isinstance(effect, Timer):
                self.at(effect.at, "enrolment", effect.enrolment_id)
            elif isinstance(effect, MemberChange):
                ident = dict(self.members[effect.member_id].identifiers)
                self.event(CanonicalEvent.model_validate(effect.canonical(ident)), now)
            elif isinstance(effect, EnterJourney):
                journey = self.project.journeys[effect.journey]
                ctx = self.ctx(effect.member_id, now, trigger=effect.trigger)
                if entry_allowed(journey, ctx, self.history(journey.id, effect.member_id), now):
                    self.apply(
                        start(
                            journey,
                            effect.member_id,
                            ctx,
                            effect.trigger,
                            now,
                            self.runtime,
                            key=effect.key,
                        ),
                        now,
                    )

    def member_id(self, event: CanonicalEvent) -> str:
        ids = event.member.identifiers()
        known = next(
            (self.aliases[f"{k}:{v}"] for k, v in ids.items() if f"{k}:{v}" in self.aliases), None
        )
        member_id = known or f"m-{len(self.members) + 1}"
        for k, v in ids.items():
            self.aliases.setdefault(f"{k}:{v}", member_id)
        return member_id

    def event(self, event: CanonicalEvent, now: datetime) -> None:
        mid = self.member_id(event)
        before_member = self.members.get(mid)
        before = self.ctx(mid, now) if before_member else None
        snapshot = Snapshot(member_id=mid, member=before_member, link={}, conflicts={})
        self.members[mid] = plan(event, snapshot, self.runtime.tz).member
        raw = event.model_dump(mode="json")
        # Running enrolments first (goals, wait_for), then new entries.
        for eid in list(self.by_member[mid]):
            e = self.enrolments[eid]
            if e.live:
                journey = self.project.journeys[e.journey]
                self.apply(
                    on_event(
                        e, journey, self.ctx(mid, now, e.trigger, raw), raw, now, self.runtime
                    ),
                    now,
                )
        for journey in self.project.journeys_on_event(event.type):
            ctx = self.ctx(mid, now, trigger=raw)
            if should_enrol(journey, ctx, raw, self.history(journey.id, mid), now):
                self.apply(start(journey, mid, ctx, raw, now, self.runtime), now)
        self.segments(mid, before, now, cause=raw)
        for journey in self.project.journeys.values():
            if journey.journey.trigger.date and event.type == "profile.updated":
                fire = next_date_fire_for(journey, self.ctx(mid, now), now, self.runtime.tz)
                if fire:
                    self.at(fire, "date", f"{journey.id}|{mid}")

    def segments(
        self,
        mid: str,
        before: dict[str, Any] | None,
        now: datetime,
        cause: Any,
        before_now: datetime | None = None,
    ) -> None:
        after = self.ctx(mid, now)
        for segment in self.project.segments.values():
            if segment_entered(segment, before, after, now, before_now):
                for journey in self.project.journeys_on_segment(segment.id):
                    trigger = segment_trigger_event(segment, mid, now, cause)
                    ctx = self.ctx(mid, now, trigger=trigger)
                    if should_enrol(journey, ctx, trigger, self.history(journey.id, mid), now):
                        self.apply(start(journey, mid, ctx, trigger, now, self.runtime), now)
            recheck = segment_recheck_at(segment, after, now, self.runtime.tz)
            if recheck:
                self.at(recheck, "segment", mid)

    def tick(self, until: datetime) -> None:
        while self.timers and self.timers[0][0] <= until:
            now, _, kind, key = heapq.heappop(self.timers)
            if kind == "enrolment":
                e = self.enrolments[key]
                ctx = self.ctx(e.member_id, now, trigger=e.trigger)
                ctx["steps"] = {s: {"sent": True, "opened": False} for s in e.sends}
                self.apply(resume(e, self.project.journeys[e.journey], ctx, now, self.runtime), now)
            elif kind == "segment":
                earlier = now - timedelta(seconds=1)  # membership an instant before
                self.segments(key, self.ctx(key, earlier), now, cause=None, before_now=earlier)
            elif kind == "date":
                jid, mid = key.split("|")
                journey = self.project.journeys[jid]
                assert journey.journey.trigger.date is not None
                value = self.ctx(mid, now)["profile"].get("birthday")
                trigger = date_trigger_event(journey, mid, now, value)
                ctx = self.ctx(mid, now, trigger=trigger)
                if should_enrol(journey, ctx, trigger, self.history(jid, mid), now):
                    self.apply(start(journey, mid, ctx, trigger, now, self.runtime), now)
                nxt = next_date_fire_for(journey, ctx, now, self.runtime.tz)
                if nxt:
                    self.at(nxt, "date", key)
            elif kind == "schedule":
                journey = self.project.journeys[key]
                schedule = journey.journey.trigger.schedule
                assert schedule is not None
                trigger = schedule_trigger_event(journey, now)
                for mid in self.members:  # a scan is fine in a test; the store queries the segment
                    ctx = self.ctx(mid, now, trigger=trigger)
                    if self.project.segments[schedule.segment].where.holds(
                        ctx, now
                    ) and should_enrol(journey, ctx, trigger, self.history(key, mid), now):
                        self.apply(start(journey, mid, ctx, trigger, now, self.runtime), now)
                nxt = next_schedule_fire(journey, now, self.runtime.tz)
                if nxt:
                    self.at(nxt, "schedule", key)


def run_year() -> World:
    project = load_project(EXAMPLES)
    world = World(project, Runtime(project.settings, project.template_versions))
    lines = (EXAMPLES / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [CanonicalEvent.model_validate_json(line) for line in lines]
    first = events[0].time
    for journey in project.journeys.values():
        fire = next_schedule_fire(journey, first, world.runtime.tz)
        if fire:
            world.at(fire, "schedule", journey.id)
    for event in events:
        world.tick(event.time)
        world.event(event, event.time)
    world.tick(END)
    return world


def test_every_example_journey_is_lived_through_in_a_year() -> None:
    world = run_year()
    entered = {e.journey for e in world.enrolments.values()}
    assert entered == set(world.project.journeys)
    sent_by: dict[str, set[str]] = defaultdict(set)
    for _, _, jid, template in world.sends:
        sent_by[jid].add(template)
    # Every journey with a send step sent something (or held it out for its control group)
    for jid, compiled in world.project.journeys.items():
        if compiled.send_steps():
            assert sent_by[jid] or any(j == jid for j, _ in world.held_out), jid
    # Stories: gendered breakfast coupons, both dental recalls, the whole hotel stay,
    # the resend to non-openers, the quiz nudge, the 29 February birthday.
    assert {"coupon-30", "coupon-15", "coupon-20"} <= sent_by["breakfast-qr-coupon"]
    assert {"dental-cleaning-recall", "dental-filling-check"} <= sent_by["dental-recall"]
    assert {
        "hotel-booking-confirmed",
        "hotel-checkin-reminder",
        "hotel-checkin-notes",
        "hotel-thanks",
    } <= sent_by["hotel-stay"]
    assert {"spring-sale", "spring-sale-resend"} <= sent_by["edm-resend"]
    assert {"welcome-quiz", "welcome-quiz-nudge", "quiz-thanks"} <= sent_by["welcome-quiz"]
    leap = next(
        mid for mid, m in world.members.items() if m.profile.get("birthday") == "1992-02-29"
    )
    assert (
        datetime.fromisoformat("2026-02-01T09:00:00+08:00"),
        leap,
        "birthday",
        "birthday-coupon",
    ) in world.sends
    quiz_tags = {t for m in world.members.values() for t in m.tags if t.startswith("likes-")}
    assert quiz_tags == {"likes-caramel", "likes-mocha", "likes-matcha"}
    assert any(m.tags.count("vip") for m in world.members.values())
    # No marketing message went out in quiet hours (21:00–09:00 Taipei)
    for when, _, journey, _ in world.sends:
        if not world.project.journeys[journey].journey.transactional:
            local = when.astimezone(world.runtime.tz)
            assert 9 <= local.hour < 21, (journey, local)


def test_coupon_goals_and_the_same_year_twice_is_identical() -> None:
    a, b = run_year(), run_year()
    assert a.sends == b.sends
    coupon = [e for e in a.enrolments.values() if e.journey == "coupon-expiry"]
    assert sum(e.converted for e in coupon) == 1  # only the coupon redeemed is a conversion
    assert sum(1 for _, _, j, _ in a.sends if j == "coupon-expiry") == 4
