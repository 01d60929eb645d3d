"""What the console's journeys and segments API answers (docs/console-api.md), as
pydantic models; kairos.console.schema puts them in the front end's JSON Schema.

Days are the brand's days (`zone`); counts are whole numbers, money is the shop's
currency as the orders carried it. Journey and step names are the brand project's
text, shown as text.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kairos.console.models import ConsoleModel, MemberRow


class Period(ConsoleModel):
    """The days counted (`?from=&to=`, inclusive, in the brand's zone)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True, populate_by_name=True
    )

    from_: date = Field(alias="from")
    to: date
    zone: str


# ---- GET journeys ------------------------------------------------------------------


class JourneyRow(ConsoleModel):
    id: str
    name: str
    trigger: str
    """What starts it, in words (`on line.follow where profile.city = 台北`)."""
    version: str
    """The version the brand project holds now (a content hash)."""
    entered: int
    """Members who entered during the period."""
    active: int
    """Members in the journey now (entered and not yet completed, exited or converted)."""
    converted: int
    """Members who reached a goal during the period."""


class JourneyList(ConsoleModel):
    items: list[JourneyRow]
    period: Period


# ---- GET journeys/{id} -------------------------------------------------------------


class JourneyInfo(ConsoleModel):
    id: str
    name: str
    description: str | None
    trigger: str
    version: str
    holdout: float
    """The control group's share, in percent (0: none)."""
    goals: list[str]
    """`exit_on` goals in words: reaching one converts the member."""


class NodeCounts(ConsoleModel):
    entered: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    converted: int
    """Conversions of members who passed the node (counted by the journey, and per arm
    at a split step; 0 at other steps)."""
    waiting: int
    """Members at the step now (at most `waiting_limit`, see JourneyPage)."""


class StepLine(ConsoleModel):
    """LINE's own figures of a step that sends on LINE: unique opens and clicks of the
    step's unit over LINE's last 14 days (`kairos stats --refresh-line-units` reads
    them; kairos.reports.line_units). LINE hides a figure under 20 people: then it is
    None and its `_hidden` flag true ("< 20"). Before the first read, `read_at` and
    every figure are None and nothing is hidden ("—")."""

    model_config = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True, populate_by_name=True
    )

    line_opened: int | None
    line_opened_hidden: bool
    """True when LINE hid the opens (fewer than 20 people), False when counted or unread."""
    line_clicked: int | None
    line_clicked_hidden: bool
    from_: date | None = Field(alias="from")
    """The first of LINE's days read (UTC+9, as LINE counts), inclusive."""
    to: date | None
    read_at: AwareDatetime | None
    """When Kairos read them (the brand's zone); None: never read."""


class GraphNode(ConsoleModel):
    id: str
    """A step id, or `_start`, `_end`, `_converted`."""
    kind: str
    """A step kind (`send`, `wait`, `wait_for`, `branch`, `split`, `tag`, `untag`, `set`,
    `enter`, `goto`, `exit`), or `trigger`, `end`, `converted`."""
    label: str
    detail: str
    """What it does, in words (`send line: welcome`, `wait 3 days`)."""
    counts: NodeCounts
    line: StepLine | None
    """LINE's opens and clicks, at steps that may send on LINE (None elsewhere)."""


class GraphEdge(ConsoleModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True, populate_by_name=True
    )

    from_: str = Field(alias="from")
    to: str
    label: str
    """When it is taken (a branch's condition, `50%`, an event, `timeout`); "" otherwise."""
    count: int | None
    """Members who took it, where the journey counts it (branches, splits, wait-fors)."""


class JourneyGraph(ConsoleModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class Funnel(ConsoleModel):
    """All-time totals of the journey."""

    entered: int
    held_out: int
    converted: int
    completed: int
    exited: int
    conversion_rate: float | None
    """Conversions of treated members / treated members (None before anyone entered)."""


class Holdout(ConsoleModel):
    held_out: int
    conversion_rate: float | None
    holdout_conversion_rate: float | None
    lift: float | None
    """Treated rate minus control-group rate (None without both)."""


class Arm(ConsoleModel):
    split: str
    arm: int
    goto: str | None
    weight: float | None
    entered: int
    converted: int
    conversion_rate: float | None
    revenue: float


class Revenue(ConsoleModel):
    total: float
    """Order totals of treated members' converting orders."""
    holdout: float
    """The same for the control group."""
    per_conversion: float | None


class DayRow(ConsoleModel):
    day: date
    entered: int
    converted: int
    revenue: float
    revenue_holdout: float
    completed: int
    exited: int
    conversion_rate: float | None


class PlanPrice(ConsoleModel):
    plan: str
    """`light`, `medium`, `high` (the price file's ids)."""
    name: str
    fits: bool
    """False when the month's billed messages pass a plan that cannot send more (LINE
    stops at its allowance): then `ntd` is None."""
    ntd: float | None
    """The month's price on this plan in NT$, tax included (fee + messages past the
    allowance)."""
    over_allowance: int


class MonthBill(ConsoleModel):
    """The journey's messages in one month of the brand's zone (`?month=YYYY-MM`), as
    `kairos stats --cost` counts them (kairos.reports.cost), and what they would cost
    under each Taiwan LINE plan if they were the account's only billed messages."""

    month: str
    """`YYYY-MM`."""
    zone: str
    line_billed: int
    """LINE pushes and multicasts, once per recipient: LINE bills these."""
    line_free: int
    """LINE replies (the member's own event's reply token): free."""
    email: int
    sms: int
    sms_segments: int
    billable_share: float | None
    """`line_billed` / all LINE messages (None without any)."""
    plans: list[PlanPrice]
    prices_as_of: date
    """The date of the price file the plans come from."""


class JourneyPage(ConsoleModel):
    journey: JourneyInfo
    period: Period
    graph: JourneyGraph
    funnel: Funnel
    holdout: Holdout
    arms: list[Arm]
    revenue: Revenue
    series: list[DayRow]
    waiting_limit: int
    """A step's `waiting` is counted up to this many members (a bounded read); more
    shows as this number, and the step's members list pages through them all."""
    month: MonthBill


# ---- GET journeys/{id}/steps/{step}/members ----------------------------------------


class StepMember(ConsoleModel):
    member_id: str
    name: str | None
    state: str
    """`waiting` or `active`."""
    waiting_for: str | None
    """What the member waits for: `wait` (a wait step), `send` (held by quiet hours), or
    the event type a wait-for step awaits (`order.created`)."""
    waiting_until: AwareDatetime | None
    """When the wait ends (in the brand's zone), None when not waiting on time."""
    entered_at: AwareDatetime
    version: str
    holdout: bool


class StepMembers(ConsoleModel):
    journey: str
    step: str
    items: list[StepMember]
    next: str | None


# ---- GET segments, segments/{id} ---------------------------------------------------


class SegmentRow(ConsoleModel):
    id: str
    name: str
    description: str | None
    where: str
    """Who is in it, in words."""
    size: int
    size_exact: bool
    """False when the segment holds more than `size` members (a bounded count)."""


class SegmentList(ConsoleModel):
    items: list[SegmentRow]


class SegmentPage(ConsoleModel):
    segment: SegmentRow
    size: int
    size_exact: bool
    items: list[MemberRow]
    next: str | None


MODELS: tuple[type[BaseModel], ...] = (
    JourneyList, JourneyPage, StepMembers, SegmentList, SegmentPage,
)  # fmt: skip
"""The journeys family's answers (kairos.console.schema collects them)."""
