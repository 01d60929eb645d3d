"""What a batch's fresh outcomes add to the month's bill, per journey (`kairos stats
--cost`): LINE messages LINE bills and those it does not, emails, SMS and their
segments, in the brand's month (kairos.yaml `timezone`, as LINE's quota month).

A LINE delivery is billed unless it says otherwise: `billed` when the outcome carries
it, else by `via` (`reply` is free; `push` and `multicast` count once per recipient),
else — records written before replies existed — a push, billed. Only `sent` outcomes
count; a replay is never counted twice (the recorder passes fresh outcomes only).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Protocol
from zoneinfo import ZoneInfo

from kairos.clock import utc
from kairos.delivery.model import Outcome

MonthCounts = Mapping[tuple[str, str], Mapping[str, int]]
"""(journey, `YYYY-MM`) → `line_billed`, `line_free`, `email`, `sms`, `sms_segments`."""


class MonthCounters(Protocol):
    def count_months(self, counts: MonthCounts) -> None: ...


def is_billed(outcome: Outcome) -> bool:
    billed = getattr(outcome, "billed", None)
    if isinstance(billed, bool):
        return billed
    via = getattr(outcome, "via", None) or outcome.endpoint or "push"
    return via != "reply"


def month_counts(
    outcomes: Iterable[Outcome], zone: ZoneInfo
) -> dict[tuple[str, str], Counter[str]]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        if outcome.status != "sent" or outcome.channel is None:
            continue
        month = utc(outcome.time).astimezone(zone).strftime("%Y-%m")
        row = counts[(outcome.journey, month)]
        if outcome.channel == "line":
            row["line_billed" if is_billed(outcome) else "line_free"] += 1
        elif outcome.channel == "sms":
            row["sms"] += 1
            row["sms_segments"] += outcome.segments or 1
        else:
            row["email"] += 1
    return dict(counts)
