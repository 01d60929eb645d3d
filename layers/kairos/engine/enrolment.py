"""An enrolment: one member's way through one version of one journey.

It is plain data so a store adapter can persist it as one item and move it with a
conditional write on `version`: the engine returns a copy with `version + 1`, and the
store writes it only if the stored version is still the one it read. A redelivered
stream record or a timer processed twice then changes nothing.

Deterministic by construction:
- `enrolment_id(journey, member, key)` hashes the trigger event's id (not an entry
  counter, which two concurrent evaluations could both read as N), so the same trigger
  can never enrol a member twice;
- `in_holdout(journey, member)` and `split_bucket` hash the member, so a member is in the
  control group (or a split arm) of a journey every time, on every version.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

State = Literal["active", "waiting", "exited", "completed"]
Pending = Literal["wait", "wait_for", "send"]


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def enrolment_id(journey_id: str, member_id: str, key: str) -> str:
    """`key` is the trigger event's id (or an `enter` step's own key)."""
    return "en-" + _hash(journey_id, member_id, key)[:32]


def _percentile(*parts: str) -> float:
    """A stable number in [0, 100) for these parts."""
    return int(_hash(*parts)[:8], 16) % 10_000 / 100


def in_holdout(journey_id: str, member_id: str, percent: float) -> bool:
    return percent > 0 and _percentile("holdout", journey_id, member_id) < percent


def split_bucket(journey_id: str, step_id: str, member_id: str) -> float:
    """The member's position in [0, 100) along a split's weights."""
    return _percentile("split", journey_id, step_id, member_id)


class WaitingFor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str
    """The event type awaited (a store can index waiting enrolments by member + type)."""
    step: str
    timeout_at: AwareDatetime
    where: dict[str, Any] | None = None
    """The raw condition, for display; the compiled one is in the journey version."""


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    journey: str
    journey_version: str
    member_id: str
    entry_number: int = Field(default=1, ge=1)
    """1 for the member's first entry into this journey, 2 for the second…"""
    state: State = "active"
    step: str | None = None
    """The current step; None once the enrolment has ended."""
    visits: dict[str, int] = Field(default_factory=dict)
    """How many times each step has been entered (loops revisit steps)."""
    pending: Pending | None = None
    """What the enrolment waits for: a `wait` to pass, a `wait_for` event or timeout, or
    a `send` deferred by quiet hours."""
    wait_until: AwareDatetime | None = None
    """When the scheduler must look at it again (wait end, timeout, quiet hours end)."""
    waiting_for: WaitingFor | None = None
    holdout: bool = False
    entered_at: AwareDatetime
    trigger: dict[str, Any] = Field(default_factory=dict)
    """The canonical event that started it (`trigger.*` in conditions and templates)."""
    sends: dict[str, str] = Field(default_factory=dict)
    """Send step id → delivery id of its latest send (for `steps.<id>.*` engagement)."""
    converted: bool = False
    arms: dict[str, int] = Field(default_factory=dict)
    """Split step id → the arm (0-based) the member took, for per-arm conversion."""
    revenue: float | None = None
    """The order total of the `order.created` goal that converted it (`kairos stats`)."""
    exit_reason: str | None = None
    ended_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    version: int = 0
    """Bumped on every change; the store writes only if the stored version is the old one."""

    @property
    def ended(self) -> bool:
        return self.state in ("exited", "completed")

    @property
    def live(self) -> bool:
        """Counts as "active" for `reentry: after_exit`."""
        return not self.ended

    def visit(self, step_id: str) -> int:
        return self.visits.get(step_id, 0)
