"""Rich terminal views of members, for `kairos members show` and the demo. Times are
shown in the brand's time zone (kairos.yaml `timezone`)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from kairos.models.member import Member
from kairos_dev.brand import brand_zone, local_time

console = Console()


def _value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _shown(value: Any, zone: ZoneInfo) -> str:
    """A value for people: instants in the brand's time zone, the rest as they are."""
    text = local_time(value, zone) if isinstance(value, str) else ""
    return text if text and text != value else _value(value)


def member_tables(
    member: Member,
    timeline: list[dict[str, Any]],
    zone: ZoneInfo | None = None,
    notes: list[dict[str, Any]] | None = None,
) -> list[Table]:
    zone = zone or brand_zone()
    profile = Table(title=f"Member {member.member_id}", show_header=False, title_justify="left")
    profile.add_column("field", style="cyan")
    profile.add_column("value")
    for key in sorted(member.profile):
        profile.add_row(f"profile.{key}", _shown(member.profile[key], zone))
    profile.add_row("tags", ", ".join(member.tags) or "—")

    stats = Table(title="Purchase statistics", show_header=False, title_justify="left")
    stats.add_column("field", style="cyan")
    stats.add_column("value")
    for key, value in member.stats.model_dump(mode="json").items():
        if value not in (None, {}, 0, 0.0):
            stats.add_row(f"stats.{key}", _shown(value, zone))
    if not stats.row_count:
        stats.add_row("stats", "no orders yet")

    events = Table(title="Timeline", title_justify="left")
    events.add_column(f"time ({zone.key})", style="dim")
    events.add_column("what", style="green")
    events.add_column("details")
    for entry in timeline:
        events.add_row(
            local_time(entry["time"], zone), entry["kind"], _value(entry.get("data") or {})
        )
    if not notes:
        return [profile, stats, events]
    staff = Table(title="Notes (staff only, never in messages)", title_justify="left")
    staff.add_column(f"time ({zone.key})", style="dim")
    staff.add_column("author", style="cyan")
    staff.add_column("note")
    for note in notes:
        data = note.get("data") or {}
        staff.add_row(
            local_time(note["time"], zone), str(data.get("author", "")), str(data.get("text", ""))
        )
    return [profile, stats, staff, events]


def print_member(
    member: Member,
    timeline: list[dict[str, Any]],
    zone: ZoneInfo | None = None,
    *,
    notes: list[dict[str, Any]] | None = None,
) -> None:
    for table in member_tables(member, timeline, zone, notes):
        console.print(table)
