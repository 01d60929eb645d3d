"""Segments, `segments/*.yaml`: a named condition on the member (SPEC §4 `segment:`).

Membership is not stored: it is the condition evaluated on the member context (profile,
tags, stats — never `event`, `trigger` or `steps`, which belong to an enrolment). A
`segment:` trigger fires on *entering*: the condition was false before an event was
applied and is true after it (or becomes true as time passes, e.g. dormancy).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kairos.models.journey import ID_PATTERN, Condition


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1)
    description: str | None = None
    where: Condition
