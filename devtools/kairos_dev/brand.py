"""What read commands need to reach a brand: its store (table from `--table`,
`KAIROS_TABLE`, or the running `kairos local` here) and its settings (time zone), from
`--project`, `KAIROS_PROJECT_DIR` or the running `kairos local`'s project."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def table_name(table: str | None) -> str:
    from kairos_dev.local.runtime import read_session

    if table is None and "KAIROS_TABLE" not in os.environ:
        session = read_session()
        if session:
            os.environ.update(session)
    name = table or os.environ.get("KAIROS_TABLE")
    if not name:
        raise SystemExit("no table: pass --table, set KAIROS_TABLE, or run `kairos local` here")
    return name


def member_repository(table: str | None) -> Any:
    from kairos.store.members import MemberRepository

    return MemberRepository(table_name(table))


def engine_store(table: str | None) -> Any:
    from kairos.store.enrolments import EngineStore

    members = member_repository(table)
    return EngineStore(members.table, members.client)


def brand_segments(project: str | None = None) -> list[str]:
    """The brand project's segment ids (none without a project)."""
    from kairos.project import load_project

    where = project or os.environ.get("KAIROS_PROJECT_DIR")
    return sorted(load_project(where).segments) if where else []


def brand_zone(project: str | None = None) -> ZoneInfo:
    """The brand's time zone (kairos.yaml `timezone`); the default settings' without a
    project."""
    from kairos.project import load_settings

    zone: ZoneInfo = load_settings(project or os.environ.get("KAIROS_PROJECT_DIR")).zone
    return zone


def local_time(value: Any, zone: ZoneInfo) -> str:
    """An ISO time (or datetime) as the brand's wall clock, `YYYY-MM-DD HH:MM:SS`; other
    values unchanged."""
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        return "" if value is None else str(value)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def zone_label(zone: ZoneInfo) -> str:
    return str(zone.key)
