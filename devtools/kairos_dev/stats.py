"""`kairos stats`' chart: the per-day series as a PNG. The figures themselves (funnel,
holdout lift, revenue, A/B arms, the day series) are kairos.reports.stats, shared with
the console's API; they are re-exported here for the commands that read them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from kairos.reports.stats import SERIES_FIELDS, arms, funnel, series

__all__ = ["SERIES_FIELDS", "arms", "funnel", "plot", "series"]


def plot(rows: list[dict[str, Any]], title: str, path: Path) -> None:
    """Entries and conversions per day above, revenue per day below, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the CLI writes a file
    from matplotlib import pyplot

    days = [date.fromisoformat(r["day"]) for r in rows]
    figure, (counts, money) = pyplot.subplots(
        2, 1, figsize=(10, 6), sharex=True, height_ratios=(3, 2)
    )
    counts.plot(days, [r["entered"] for r in rows], label="entered", marker=".")
    counts.plot(days, [r["converted"] for r in rows], label="converted", marker=".")
    counts.set_ylabel("members")
    counts.legend(loc="upper left")
    counts.set_title(title)
    money.bar(days, [r["revenue"] for r in rows], color="tab:green", label="revenue")
    money.set_ylabel("revenue")
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
