"""The console's segments: the brand project's segments with their size, and one
segment's members a page at a time.

Who is in a segment is the segment index the evaluator keeps (`SEGMENT#<id>`). Its size
is a bounded COUNT of that partition (kairos.store.journey_reads: at most SEGMENT_CAP
members, ~110 read units and one request per segment per view), so a segment of a
million members costs a page view no more than one of ten thousand; past the cap the
answer says `size_exact: false`.

Request costs: the list, one COUNT Query per segment; a segment's page, its COUNT, one
Query of the index (a page of member ids) and one BatchGetItem of their profiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kairos.console import members
from kairos.console.journeys import NotFound, page_limit, project_of, reads_of
from kairos.console.models import MemberRow
from kairos.console.models_journeys import SegmentList, SegmentPage, SegmentRow
from kairos.engine.compiled import CompiledSegment
from kairos.engine.derived import member_context
from kairos.members.service import InvalidRequest
from kairos.models.member import Member
from kairos.models.settings import Settings
from kairos.reports.graph import condition_text
from kairos.store import keys


def segments_of(services: Any) -> dict[str, CompiledSegment]:
    project = project_of(services)
    return dict(sorted(project.segments.items())) if project else {}


def _row(services: Any, segment: CompiledSegment) -> SegmentRow:
    size, exact = reads_of(services).segment_size(segment.id)
    return SegmentRow(
        id=segment.id,
        name=segment.segment.name,
        description=segment.segment.description,
        where=condition_text(segment.segment.where),
        size=size,
        size_exact=exact,
    )


def list_segments(services: Any) -> SegmentList:
    return SegmentList(items=[_row(services, s) for s in segments_of(services).values()])


def member_row(member: Member, settings: Settings, now: datetime) -> MemberRow:
    """A member as every console list shows them (kairos.console.members), RFM and
    lifecycle derived at `now` in the brand's zone."""
    return members.member_row(member, member_context(member, settings, now)["stats"])


def segment_page(
    services: Any, segment_id: str, query: Mapping[str, str], now: datetime
) -> SegmentPage:
    segment = segments_of(services).get(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    row = _row(services, segment)
    # The cursor is the page's last member id (URL-safe, unlike the `MEMBER#` key).
    after = (query.get("cursor") or "").strip()
    if after and not after.replace("-", "").replace("_", "").isalnum():
        raise InvalidRequest("cursor is not one this list gave")
    ids, following = services.members.segmented(
        segment_id, page_limit(query), keys.member_pk(after) if after else None
    )
    following = keys.member_id_from_pk(following) if following else None
    settings = services.settings
    items = [member_row(m, settings, now) for m in services.members.profiles(ids)]
    return SegmentPage(
        segment=row, size=row.size, size_exact=row.size_exact, items=items, next=following
    )
