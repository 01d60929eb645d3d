"""The journey language's shared terms: id patterns, event types, times of day, the
strict base model and durations (kairos.models.journey builds on them)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
STEP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
END = "end"
"""`next: end` finishes the journey (the enrolment completes)."""

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNTIL = re.compile(
    r"^(?:(?P<day>mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+)?(?P<time>([01]\d|2[0-3]):[0-5]\d)$",
    re.IGNORECASE,
)

CONDITION_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A condition (SPEC §3): {all: [...]}, {any: [...]}, {not: COND} or "
        "{field: PATH, OP: VALUE} with OP one of eq ne gt gte lt lte in not_in contains "
        "exists starts_with within_days older_than_days eq_field ne_field, or "
        "{segment: ID} (the member is in that segment)."
    ),
    "properties": {
        "all": {"type": "array", "items": {"type": "object"}},
        "any": {"type": "array", "items": {"type": "object"}},
        "not": {"type": "object"},
        "field": {"type": "string"},
        "eq": {}, "ne": {}, "gt": {}, "gte": {}, "lt": {}, "lte": {},
        "in": {"type": "array"}, "not_in": {"type": "array"},
        "contains": {}, "exists": {"type": "boolean"},
        "starts_with": {"type": "string"},
        "within_days": {"type": "number"}, "older_than_days": {"type": "number"},
        "eq_field": {"type": "string"}, "ne_field": {"type": "string"},
        "segment": {"type": "string"},
    },
    "additionalProperties": False,
}  # fmt: skip

Condition = Annotated[dict[str, Any], WithJsonSchema(CONDITION_JSON_SCHEMA)]
"""A raw condition; compiled (paths and operators checked) by `kairos.engine.conditions`."""


class Strict(BaseModel):
    """Journey files reject unknown keys: a misspelt key must not silently do nothing."""

    model_config = ConfigDict(extra="forbid")


def check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a 24-hour HH:MM time")
    return value


def check_event_type(value: str) -> str:
    if not EVENT_TYPE_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an event type (e.g. order.created)")
    return value


# ---- durations ------------------------------------------------------------------------


class Offset(Strict):
    """A signed shift, e.g. `{days: -7}`; calendar units (days, weeks, months) keep the
    wall-clock time in the brand time zone."""

    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    def is_zero(self) -> bool:
        return not (self.months or self.weeks or self.days or self.hours or self.minutes)


class Duration(Offset):
    """A wait or timeout: non-negative and not zero."""

    months: int = Field(default=0, ge=0)
    weeks: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _not_zero(self) -> Duration:
        if self.is_zero():
            raise ValueError("give at least one of minutes, hours, days, weeks, months above 0")
        return self
