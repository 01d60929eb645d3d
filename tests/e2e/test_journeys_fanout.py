"""A step sent to a segment goes through the fan-out path (SPEC: broadcast sends): a cron
audience's first send travels as group messages of up to 500 members, not one queue
message per member, and every member still gets exactly one delivery. Run through the
simulator on the memory backend, whose SQS counts what was put on each queue."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from kairos.clock import utc
from kairos.models.events import CanonicalEvent
from kairos_dev.local.simulator import Simulation
from tests.e2e.journey_builder import BrandProject, at, local, profile

AUDIENCE = 1_200


def test_a_cron_audience_of_1200_is_three_queue_messages_and_one_delivery_each(
    tmp_path: Path,
) -> None:
    # Given 1,200 gold members and a Saturday 08:00 news journey for the gold segment
    project = BrandProject(tmp_path)
    project.segment("gold", {"field": "profile.tier", "eq": "gold"})
    project.template("news", line="本週新品上架！")
    project.journey("""
        id: saturday-news
        trigger:
          schedule: {cron: "0 8 * * SAT", segment: gold}
        steps:
          - {id: news, send: {channel: line, template: news}}
    """)
    events = [
        CanonicalEvent.model_validate(profile(f"U-{i:04d}", "2026-03-05T09:00", tier="gold"))
        for i in range(AUDIENCE)
    ]
    saved = dict(os.environ)
    simulation = Simulation.start(str(project.root), utc(events[0].time), "memory")
    try:
        # When the simulation runs past the first firing (2026-03-07 is a Saturday)
        deliveries = simulation.run(events, datetime.fromisoformat(at("2026-03-07T09:00")))
        sqs = simulation.backend.aws.sqs  # type: ignore[attr-defined]
        line_queue = simulation.stack.queues["line"].rsplit("/", 1)[-1]
        accepted, requests = sqs.accepted[line_queue], Counter(sqs.requests)
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)

    # Then the step went onto the LINE queue as three group messages (500 + 500 + 200),
    # in three SendMessage requests: not 1,200
    assert accepted == 3
    assert requests["SendMessage"] == 3 and requests["SendMessageBatch"] == 0
    # And every member got exactly one delivery, sent at the firing
    assert len(deliveries) == AUDIENCE
    assert Counter(d.member["line_user_id"] for d in deliveries) == {
        f"U-{i:04d}": 1 for i in range(AUDIENCE)
    }
    assert {(local(d), d.step, d.status) for d in deliveries} == {
        ("2026-03-07T08:00", "news", "sent")
    }
