"""A member: one customer's profile, tags and purchase statistics (SPEC §2)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kairos.models.browse import Views

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Stats(BaseModel):
    """Order statistics kept up to date on every order (`days_since_last_order`, `rfm`
    and `lifecycle` are derived at evaluation time, not stored)."""

    model_config = ConfigDict(extra="ignore")

    order_count: int = 0
    total_spent: int | float = 0
    first_order_at: AwareDatetime | None = None
    last_order_at: AwareDatetime | None = None
    avg_order_value: int | float = 0
    category_counts: dict[str, int] = Field(default_factory=dict)
    sku_counts: dict[str, int] = Field(default_factory=dict)
    favorite_sku: str | None = None
    favorite_category: str | None = None
    distinct_skus: int = 0
    weekday_counts: dict[str, int] = Field(default_factory=dict)
    top_weekday: str | None = None
    referrals: int = 0
    order_times: dict[str, AwareDatetime] = Field(default_factory=dict)
    """Live (not cancelled) order id → its time: first/last order dates are their min and
    max, whatever order the orders and cancellations arrived in."""
    views: Views = Field(default_factory=Views)
    """What the member browsed on the brand's site (kairos.ingest.browse), bounded."""


class Member(BaseModel):
    """The stored member. `profile` holds SPEC §2's `profile.*` attributes, including
    reachability (`line_following`, `unsubscribed.<channel>`, `email_status`) and
    `consent.<channel>`; `identifiers` mirrors the aliases that point at this member."""

    model_config = ConfigDict(extra="ignore")

    member_id: str
    profile: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)
    identifiers: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    """Every alias ever linked to this member, as `<kind>:<value>`: a member can hold
    several values of one kind over time (a changed email, a merged member's), and
    erasure must remove them all. `identifiers` keeps the current one per kind."""
    field_times: dict[str, str] = Field(default_factory=dict)
    """Field path (`line_following`, `name`, `consent.email`, `tag.vip`, ...) → the stamp
    (`<UTC time>|<event id>`) of the event that set it: an older event never overwrites
    a newer value (ARCHITECTURE rule 6)."""
    version: int = 0
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    def linked(self) -> list[tuple[str, str]]:
        """(kind, value) of every alias that may point at this member."""
        found = dict.fromkeys(self.identifiers.items())
        for alias in self.aliases:
            kind, _, value = alias.partition(":")
            found.setdefault((kind, value))
        return list(found)

    def link(self, identifiers: dict[str, str]) -> None:
        """Remember aliases linked to this member (see `aliases`)."""
        known = set(self.aliases)
        for kind, value in identifiers.items():
            alias = f"{kind}:{value}"
            if alias not in known:
                known.add(alias)
                self.aliases.append(alias)

    def has_tag(self, tag: str) -> bool:
        return tag in self.tags
