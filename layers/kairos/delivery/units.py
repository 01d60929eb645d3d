"""LINE's unit statistics per journey step: every push and multicast of a step carries
`customAggregationUnits: [unit_name(journey, step)]`, so LINE counts its opens and
clicks (kairos.reports.line_units reads them back).

LINE's rules: one unit a request, at most 30 characters of `A-Za-z0-9_`, and at most
1,000 distinct unit names used a month per channel. The name is `k` and 16 hex of the
SHA-256 of journey and step (17 characters): stable across deployments and versions,
so a step uses one name however many months it runs, and a project with at most 1,000
LINE send steps (`kairos validate` refuses more: `MAX_UNITS`) stays inside the budget —
renaming a step uses a new name in the month it happens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MAX_UNITS = 1000
"""LINE's monthly budget of distinct unit names."""


def unit_name(journey: str, step: str) -> str:
    digest = hashlib.sha256(f"{journey}\x00{step}".encode()).hexdigest()
    return f"k{digest[:16]}"


def units_of(steps: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Unit name → (journey, step), for reading the statistics back."""
    return {unit_name(journey, step): (journey, step) for journey, step in steps}
