"""The month's LINE bill (`kairos stats --cost`): per journey, the LINE messages LINE
bills and those it does not (replies), SMS and email counts, and what the month costs
under each of LINE's Taiwan plans, from a dated price file beside this module
(`prices-line-tw-<date>.json`, the newest one), as the AWS prices are kept in bench/.

A plan without additional messages (Light, Medium) cannot send past its allowance:
LINE answers 429 "You have reached your monthly limit", so such a month does not fit
the plan — the view says so rather than inventing a price.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PRICE_FILES = Path(__file__).parent


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    monthly_fee: float
    included: int
    extra_per_message: float | None


@cache
def line_plans(path: Path | None = None) -> tuple[str, tuple[Plan, ...]]:
    """(as of, plans) from the newest `prices-line-tw-*.json` (or `path`)."""
    if path is None:
        path = sorted(PRICE_FILES.glob("prices-line-tw-*.json"))[-1]
    data = json.loads(path.read_text(encoding="utf-8"))
    plans = tuple(
        Plan(
            p["id"],
            p["name"],
            float(p["monthly_fee"]),
            int(p["included"]),
            None if p["extra_per_message"] is None else float(p["extra_per_message"]),
        )
        for p in data["plans"]
    )
    return str(data["as_of"]), plans


def plan_cost(plan: Plan, billed: int) -> dict[str, Any]:
    """What `billed` LINE messages cost in a month on `plan` (None: it does not fit)."""
    over = max(0, billed - plan.included)
    if over and plan.extra_per_message is None:
        return {
            "plan": plan.id,
            "name": plan.name,
            "fits": False,
            "ntd": None,
            "over_allowance": over,
        }
    extra = over * (plan.extra_per_message or 0.0)
    return {
        "plan": plan.id,
        "name": plan.name,
        "fits": True,
        "ntd": round(plan.monthly_fee + extra, 2),
        "over_allowance": over,
    }


def month_bill(
    month: str,
    journeys: Mapping[str, Mapping[str, int]],
    quota: Mapping[str, Any] | None = None,
    plans: tuple[Plan, ...] | None = None,
) -> dict[str, Any]:
    """The cost view of one month: rows per journey, totals, each plan's price, and
    LINE's own count of the month so far (`quota`: `limit`, `used`) when it was read."""
    as_of, known = line_plans()
    rows = []
    total: dict[str, int] = {
        "line_billed": 0,
        "line_free": 0,
        "email": 0,
        "sms": 0,
        "sms_segments": 0,
    }
    for journey, counts in sorted(journeys.items()):
        row = {name: int(counts.get(name, 0)) for name in total}
        rows.append({"journey": journey, **row})
        for name in total:
            total[name] += row[name]
    line = total["line_billed"] + total["line_free"]
    return {
        "month": month,
        "journeys": rows,
        "total": total,
        "billable_share": round(total["line_billed"] / line, 4) if line else None,
        "plans": [plan_cost(p, total["line_billed"]) for p in plans or known],
        "prices_as_of": as_of,
        "line_quota": dict(quota) if quota is not None else None,
    }
