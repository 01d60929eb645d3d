"""Journeys, `journeys/*.yaml` (SPEC §4): the models a marketer's YAML is read into.

These models check shape only (unknown keys, types, "exactly one of"). Everything that
needs the whole project — conditions, step references, templates, loops — is checked by
`kairos.project` with the file and the step id in every message.

Steps without an `id` get `step-N` (N = 1-based position in `steps`), so every message,
counter and delivery can name its step. The default is positional on purpose: it is
what a marketer sees when counting the list; give an explicit id to keep a step's
counters stable when inserting steps above it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from kairos.models.journey_terms import (
    _HHMM as _HHMM,
)
from kairos.models.journey_terms import (
    _UNTIL as _UNTIL,
)
from kairos.models.journey_terms import (
    CONDITION_JSON_SCHEMA as CONDITION_JSON_SCHEMA,
)
from kairos.models.journey_terms import (
    END as END,
)
from kairos.models.journey_terms import (
    EVENT_TYPE_PATTERN as EVENT_TYPE_PATTERN,
)
from kairos.models.journey_terms import (  # the language's terms, named here too
    ID_PATTERN as ID_PATTERN,
)
from kairos.models.journey_terms import (
    STEP_ID_PATTERN as STEP_ID_PATTERN,
)
from kairos.models.journey_terms import (
    WEEKDAY_NAMES as WEEKDAY_NAMES,
)
from kairos.models.journey_terms import (
    Condition as Condition,
)
from kairos.models.journey_terms import (
    Duration as Duration,
)
from kairos.models.journey_terms import (
    Offset as Offset,
)
from kairos.models.journey_terms import (
    Strict as Strict,
)
from kairos.models.journey_terms import (
    check_event_type as check_event_type,
)
from kairos.models.journey_terms import (
    check_hhmm as check_hhmm,
)

# ---- triggers ---------------------------------------------------------------------------


class DateTrigger(Strict):
    field: str = Field(min_length=1)
    """A `YYYY-MM-DD` (or ISO time) member field, e.g. `profile.birthday`."""
    match: Literal["day", "month"] = "day"
    """`day`: on the anniversary; `month`: on the 1st of the anniversary's month."""
    at: str = "09:00"
    offset: Offset = Field(default_factory=Offset)

    _hhmm = field_validator("at")(classmethod(lambda cls, v: check_hhmm(v)))


class ScheduleTrigger(Strict):
    cron: str = Field(min_length=1)
    """Five-field cron in the brand time zone; day names (SAT) allowed."""
    segment: str = Field(min_length=1)


class Trigger(Strict):
    """Exactly one of `event` (with optional `where`), `segment`, `date`, `schedule`."""

    event: str | None = None
    where: Condition | None = None
    segment: str | None = None
    date: DateTrigger | None = None
    schedule: ScheduleTrigger | None = None

    @field_validator("event")
    @classmethod
    def _event(cls, value: str | None) -> str | None:
        return None if value is None else check_event_type(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [k for k in ("event", "segment", "date", "schedule") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of event, segment, date, schedule"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.where is not None and self.event is None:
            raise ValueError("`where` goes with an `event` trigger")
        return self

    @property
    def kind(self) -> Literal["event", "segment", "date", "schedule"]:
        if self.event is not None:
            return "event"
        if self.segment is not None:
            return "segment"
        if self.date is not None:
            return "date"
        return "schedule"


class Entry(Strict):
    reentry: Literal["never", "after_exit", "always"] = "after_exit"
    cooldown: Offset | None = None
    """Minimum time between two entries of one member."""
    max_entries: int | None = Field(default=None, ge=1)

    @field_validator("cooldown")
    @classmethod
    def _non_negative(cls, value: Offset | None) -> Offset | None:
        if value is not None and min(value.model_dump().values()) < 0:
            raise ValueError("cooldown cannot be negative")
        return value


class Goal(Strict):
    """An `exit_on` entry: the member leaves (and counts as converted) when it happens."""

    event: str
    where: Condition | None = None

    _type = field_validator("event")(classmethod(lambda cls, v: check_event_type(v)))


# ---- steps ------------------------------------------------------------------------------


class WaitSpec(Duration):
    """`{days: 7}`, `{until: "09:00"}` / `{until: "sat 08:00"}`, or
    `{until_field: PATH, offset: {days: -1}, at: "09:00"}` (`at` is an extension: the
    wall-clock time on the resulting day, for date-only fields such as a check-in date)."""

    until: str | None = None
    until_field: str | None = None
    offset: Offset | None = None
    at: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        units = [k for k in ("months", "weeks", "days", "hours", "minutes") if k in data]
        forms = [bool(units), "until" in data, "until_field" in data]
        if sum(forms) != 1:
            raise ValueError(
                "give a duration (minutes/hours/days/weeks/months), `until` or `until_field`"
            )
        if ("offset" in data or "at" in data) and "until_field" not in data:
            raise ValueError("`offset` and `at` go with `until_field`")
        return data

    @model_validator(mode="after")
    def _not_zero(self) -> WaitSpec:
        if self.until is None and self.until_field is None and self.is_zero():
            raise ValueError("a wait must be longer than zero")
        return self

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        if value is not None and not _UNTIL.match(value.strip()):
            raise ValueError(f'{value!r}: use "HH:MM" or "DAY HH:MM" (e.g. "sat 08:00")')
        return value

    _hhmm = field_validator("at")(classmethod(lambda cls, v: None if v is None else check_hhmm(v)))

    @property
    def kind(self) -> Literal["duration", "until", "until_field"]:
        if self.until is not None:
            return "until"
        if self.until_field is not None:
            return "until_field"
        return "duration"

    def until_parts(self) -> tuple[int | None, int, int]:
        """`until` as (weekday 0=Mon or None, hour, minute)."""
        assert self.until is not None
        m = _UNTIL.match(self.until.strip())
        assert m is not None
        day = m.group("day")
        hh, mm = m.group("time").split(":")
        return (WEEKDAY_NAMES.index(day.lower()) if day else None, int(hh), int(mm))


class WaitForSpec(Strict):
    event: str
    where: Condition | None = None
    timeout: Duration

    _type = field_validator("event")(classmethod(lambda cls, v: check_event_type(v)))


SendChannel = Literal["line", "email", "sms", "auto"]
FallbackChannel = Literal["line", "email", "sms"]


class SendSpec(Strict):
    channel: SendChannel = "auto"
    template: str = Field(min_length=1)
    fallback: list[FallbackChannel] = Field(default_factory=list)


class Case(Strict):
    when: Condition
    goto: str


class BranchSpec(Strict):
    cases: list[Case] = Field(min_length=1)
    else_: str | None = Field(default=None, alias="else")
    """Where no case holds; without it, the next step in the list."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SplitArm(Strict):
    weight: float = Field(gt=0, le=100)
    goto: str


class _Step(Strict):
    id: str | None = Field(default=None, pattern=STEP_ID_PATTERN)
    name: str | None = None
    """A human label for reports; optional."""


class _Flowing(_Step):
    next: str | None = None
    """Step id or `end`; default: the next step in the list."""


class WaitStep(_Flowing):
    wait: WaitSpec


class WaitForStep(_Flowing):
    wait_for: WaitForSpec
    on_event: str | None = None
    on_timeout: str | None = None


class SendStep(_Flowing):
    send: SendSpec


class BranchStep(_Step):
    branch: BranchSpec


class SplitStep(_Step):
    split: list[SplitArm] = Field(min_length=2)


class TagStep(_Flowing):
    tag: list[str] = Field(min_length=1)


class UntagStep(_Flowing):
    untag: list[str] = Field(min_length=1)


class SetStep(_Flowing):
    set: dict[str, Any] = Field(min_length=1)


class EnterStep(_Flowing):
    enter: str = Field(pattern=ID_PATTERN)


class RichMenuStep(_Flowing):
    richmenu: str = Field(pattern=ID_PATTERN)
    """A rich menu of the project (`richmenus/`); the default binding's menu unlinks the
    member's own, so the channel's default shows."""


class GotoStep(_Step):
    goto: str


class ExitStep(_Step):
    exit: Literal[True]


STEP_KINDS: tuple[str, ...] = (
    "wait", "wait_for", "send", "branch", "split", "tag", "untag", "set", "enter", "goto",
    "exit", "richmenu",
)  # fmt: skip


def step_kind(value: Any) -> str | None:
    """The kind key a raw or parsed step carries, or None when it has none or several."""
    if isinstance(value, BaseModel):
        value = {k for k in STEP_KINDS if k in type(value).model_fields}
    if not isinstance(value, dict | set):
        return None
    kinds = [k for k in STEP_KINDS if k in value]
    return kinds[0] if len(kinds) == 1 else None


Step = Annotated[
    Annotated[WaitStep, Tag("wait")]
    | Annotated[WaitForStep, Tag("wait_for")]
    | Annotated[SendStep, Tag("send")]
    | Annotated[BranchStep, Tag("branch")]
    | Annotated[SplitStep, Tag("split")]
    | Annotated[TagStep, Tag("tag")]
    | Annotated[UntagStep, Tag("untag")]
    | Annotated[SetStep, Tag("set")]
    | Annotated[EnterStep, Tag("enter")]
    | Annotated[GotoStep, Tag("goto")]
    | Annotated[ExitStep, Tag("exit")]
    | Annotated[RichMenuStep, Tag("richmenu")],
    Discriminator(
        step_kind,
        custom_error_type="step_kind",
        custom_error_message=(
            "a step needs exactly one of wait, wait_for, send, branch, split, tag, untag, "
            "set, enter, goto, exit, richmenu"
        ),
    ),
]


def default_step_id(index: int) -> str:
    """The id of a step without one: `step-N`, N its 1-based position."""
    return f"step-{index + 1}"


class Journey(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1)
    description: str | None = None
    trigger: Trigger
    audience: Condition | None = None
    entry: Entry = Field(default_factory=Entry)
    exit_on: list[Goal] = Field(default_factory=list)
    transactional: bool = False
    holdout: float = Field(default=0, ge=0, lt=100)
    """Percent of members (deterministic by member) enrolled but sent nothing."""
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_ids(self) -> Journey:
        for index, step in enumerate(self.steps):
            if step.id is None:
                step.id = default_step_id(index)
        return self

    def step_ids(self) -> list[str]:
        return [s.id or default_step_id(i) for i, s in enumerate(self.steps)]
