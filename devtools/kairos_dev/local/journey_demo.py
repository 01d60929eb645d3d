"""`make demo`: a year of the example brand in virtual time, as a readable timeline of
who got what, when and why — then each journey's funnel."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kairos.project import load_project
from kairos.store.enrolments import EngineStore
from kairos.store.members import MemberRepository
from kairos_dev.local.display import console
from kairos_dev.local.simulator import Simulation, load_inputs
from kairos_dev.stats import funnel

STATUS_STYLE = {"sent": "green", "capped": "yellow", "unreachable": "red", "failed": "red",
                "quota_exceeded": "yellow"}  # fmt: skip


def run_journey_demo(project_dir: str, until: datetime) -> int:
    root = Path(project_dir)
    project = load_project(root)
    members_file = root / "members.csv"
    events, start = load_inputs(
        root / "events.jsonl", until, members_file if members_file.exists() else None
    )
    console.rule(
        f"[bold]Kairos demo: {project.summary()}, {len(events)} events, until {until:%Y-%m-%d}"
    )
    console.print(
        "Simulating in virtual time: webhook → DynamoDB → stream → evaluator → SQS → sender → fake LINE / SES / SNS …"
    )
    began = time.perf_counter()
    simulation = Simulation.start(str(root), start)
    from kairos_dev.progress import progress_bar

    days = max(1, (until - start).days)
    try:
        with progress_bar() as bar:
            task = bar.add_task("simulating", total=days)

            def progress(moment: datetime, sent: int) -> None:
                local = moment.astimezone(project.settings.zone)
                bar.update(task, completed=min(days, (moment - start).days),
                           description=f"{local:%Y-%m-%d}: {sent} deliveries")  # fmt: skip

            simulation.progress = progress
            deliveries = simulation.run(events, until)
        elapsed = time.perf_counter() - began
        members = MemberRepository(
            simulation.stack.tables["main"], simulation.stack.client("dynamodb")
        )
        engine = EngineStore(simulation.stack.tables["main"], simulation.stack.client("dynamodb"))
        names: dict[str, str] = {}
        for member_id in {d.member_id for d in deliveries}:
            member = members.get(member_id)
            profile = member.profile if member else {}
            names[member_id] = str(
                profile.get("name") or next(iter(member.identifiers.values()), member_id)
                if member
                else member_id
            )
        zone = project.settings.zone
        wide = Console(width=max(console.width, 170))
        wide.rule("Who got what, when and why")
        for d in deliveries:
            journey = project.journeys.get(d.journey)
            why = f"{journey.journey.name if journey else d.journey} › {d.step}"
            status = d.status if not d.reason else f"{d.status} ({d.reason})"
            text = (d.text or "").replace("\n", " ")
            wide.print(
                f"[dim]{d.time.astimezone(zone):%Y-%m-%d %H:%M}[/]  {names.get(d.member_id, d.member_id)[:8]:<8}  "
                f"{d.route:<14}  [{STATUS_STYLE.get(d.status, 'white')}]{status:<11}[/]  "
                f"[cyan]{why}[/]  {text[:60]}{'…' if len(text) > 60 else ''}",
                no_wrap=True,
                overflow="ellipsis",
                highlight=False,
            )
        summary = Table(title="Journeys", title_justify="left")
        for column in ("journey", "entered", "holdout", "converted", "completed", "sends"):
            summary.add_column(column, justify="right" if column != "journey" else "left")
        sends = Counter(d.journey for d in deliveries if d.status == "sent")
        for journey_id, journey in sorted(project.journeys.items()):
            f = funnel(engine.counters(journey_id))
            summary.add_row(journey.journey.name, str(f["entered"]), str(f["held_out"]),
                            str(f["converted"]), str(f["completed"]), str(sends[journey_id]))  # fmt: skip
        wide.print(summary)
        statuses = Counter(d.status for d in deliveries)
        wide.print(
            f"{len(deliveries)} delivery attempts ({', '.join(f'{n} {s}' for s, n in statuses.most_common())}) "
            f"simulated in {elapsed:.0f} s of wall time."
        )
        return 0
    finally:
        simulation.stop()
