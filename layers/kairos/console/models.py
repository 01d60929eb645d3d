"""What the console's members API answers (docs/console-api.md), as pydantic models.

The views build these and send `model_dump(mode="json")`; kairos.console.schema turns
every console model into the one JSON Schema the front end generates its TypeScript
types from, so the two cannot drift. Everything a member or a platform sent (names,
notes, LINE messages, order item names) travels as plain strings: the console shows
it as text.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kairos.ingest.routes import Role


class ConsoleModel(BaseModel):
    """Every console answer: unknown fields are a bug, not silently passed on; every
    field is present in an answer (so the schema marks them all required)."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


# ---- GET me ------------------------------------------------------------------------


class BrandInfo(ConsoleModel):
    name: str
    zone: str
    """The IANA time zone every time is shown in (`Asia/Taipei`)."""


class Can(ConsoleModel):
    """What the signed-in user's role allows; the page hides the rest (the API refuses
    it anyway)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True, populate_by_name=True
    )

    journeys: bool
    export: bool
    import_: bool = Field(alias="import")
    erase: bool
    merge: bool
    audit: bool


class Me(ConsoleModel):
    username: str
    email: str | None
    role: Role | None
    groups: list[str]
    brand: BrandInfo
    can: Can


# ---- GET members -------------------------------------------------------------------


class MemberRow(ConsoleModel):
    """One member in a list: who they are and how they buy."""

    member_id: str
    name: str | None = None
    line_display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    line_user_id: str | None = None
    external_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    lifecycle: str | None = None
    """Derived at the request's time in the brand's zone (kairos.yaml `lifecycle`)."""
    rfm_segment: str | None = None
    order_count: int = 0
    total_spent: float = 0
    last_order_at: AwareDatetime | None = None
    joined_at: str | None = None


class MemberList(ConsoleModel):
    items: list[MemberRow]
    next: str | None
    """The cursor of the next page (`?cursor=`), None at the end."""


# ---- GET members/{id} ---------------------------------------------------------------

LineReach = Literal["following", "blocked", "unknown", "none"]
EmailReach = Literal["ok", "unsubscribed", "bounced", "complained", "no_consent", "none"]
SmsReach = Literal["ok", "unsubscribed", "opted_out", "no_consent", "none"]


class LineReachability(ConsoleModel):
    status: LineReach
    reason: str
    """Why, in a few words (`blocked or unfollowed`, `no LINE user id`)."""


class EmailReachability(ConsoleModel):
    status: EmailReach
    reason: str


class SmsReachability(ConsoleModel):
    status: SmsReach
    reason: str


class Reachability(ConsoleModel):
    """Per channel, whether a message can reach the member now (the sender's rules,
    kairos.delivery.routing)."""

    line: LineReachability
    email: EmailReachability
    sms: SmsReachability


class Rfm(ConsoleModel):
    r: int | None
    f: int | None
    m: int | None
    segment: str | None


class MemberStats(ConsoleModel):
    order_count: int
    total_spent: float
    avg_order_value: float
    first_order_at: AwareDatetime | None
    last_order_at: AwareDatetime | None
    days_since_last_order: int | None
    favorite_sku: str | None
    favorite_category: str | None
    referrals: int
    rfm: Rfm
    lifecycle: str | None


class MemberDetail(ConsoleModel):
    member_id: str
    profile: dict[str, Any]
    """The stored profile attributes (SPEC §2) as they are: values are data, never markup."""
    identifiers: dict[str, str]
    tags: list[str]
    stats: MemberStats
    created_at: AwareDatetime | None
    updated_at: AwareDatetime | None


class Note(ConsoleModel):
    time: AwareDatetime
    author: str
    """The signed-in user (or the IAM principal) who wrote it."""
    text: str


class CurrentEnrolment(ConsoleModel):
    journey: str
    enrolment_id: str
    step: str | None
    waiting_until: AwareDatetime | None
    """When the wait ends (or the quiet hours do); None when not waiting on time."""
    waiting_for: str | None
    """The event a `wait_for` step waits for."""
    entered_at: AwareDatetime
    version: str
    """The journey version the member runs."""


How = Literal["completed", "exited", "converted"]


class PastEnrolment(ConsoleModel):
    journey: str
    enrolment_id: str
    entered_at: AwareDatetime
    ended_at: AwareDatetime | None
    how: How
    reason: str | None
    version: str


class Journeys(ConsoleModel):
    current: list[CurrentEnrolment]
    past: list[PastEnrolment]


HistoryKind = Literal["line", "orders", "messages", "opens", "clicks", "staff", "other"]


class HistoryEntry(ConsoleModel):
    """One thing that happened to the member, newest first in a page."""

    time: AwareDatetime
    kind: HistoryKind
    """The filter it belongs to (`?kind=`)."""
    type: str
    """What it was: an event type (`line.follow`, `order.created`, `tag.added`) or a
    delivery outcome (`delivery.sent`, `delivery.failed`, …)."""
    journey: str | None = None
    step: str | None = None
    channel: str | None = None
    status: str | None = None
    by: str | None = None
    """Who did it, for staff changes."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The rest of what was recorded (order id and total, tag, note text, URL, …)."""


class HistoryPage(ConsoleModel):
    items: list[HistoryEntry]
    next: str | None
    """`?before=` for the next (older) page, None at the end."""


class MemberPage(ConsoleModel):
    member: MemberDetail
    reachability: Reachability
    notes: list[Note]
    journeys: Journeys
    history: HistoryPage


# ---- writes --------------------------------------------------------------------------


class TagAnswer(ConsoleModel):
    member_id: str
    tags: list[str]


class NoteAnswer(ConsoleModel):
    member_id: str
    author: str
    status: str
    """`applied`, or `duplicate` when the same request came twice."""


class EraseAnswer(ConsoleModel):
    member_id: str | None
    status: Literal["erased", "absent"]
    items_removed: int
    timers_cancelled: int
    deliveries_scrubbed: int
    identifiers_tombstoned: int
    request: str
    """The deletion request's reference kept with the tombstones."""


class MergeAnswer(ConsoleModel):
    keep: str
    absorbed: str
    status: Literal["merged", "absent"]
    entries_moved: int
    request: str


class Problem(ConsoleModel):
    """Any 4xx or 5xx: what to correct, or the request id to quote."""

    error: str
    request_id: str | None = None


# ---- GET audit ---------------------------------------------------------------------

AuditAction = Literal[
    "tag.added", "tag.removed", "note.added", "member.erased", "member.merged",
    "members.exported", "import.started", "import.chunk",
]  # fmt: skip


class AuditEntry(ConsoleModel):
    time: AwareDatetime
    by: str
    """The signed-in user's name, or the IAM principal's ARN (the command line)."""
    role: str
    """`staff`, `marketer`, `admin`, or `iam` for the admin API."""
    action: str
    """One of AuditAction (kept open so older entries still read)."""
    member_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    request_id: str


class AuditPage(ConsoleModel):
    items: list[AuditEntry]
    next: str | None


MODELS: tuple[type[BaseModel], ...] = (
    Me, MemberList, MemberRow, MemberPage, HistoryPage, HistoryEntry, TagAnswer,
    NoteAnswer, EraseAnswer, MergeAnswer, AuditPage, AuditEntry, Problem,
)  # fmt: skip
"""The members family's answers (kairos.console.schema collects them)."""
