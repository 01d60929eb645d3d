"""A commit's journey step counter increments, told to the dashboard (ARCHITECTURE rule 5).

The counters themselves are the `STATS#` items in DynamoDB, the source of truth that
`kairos stats` reads. Whoever decides an increment (the evaluator's outcome commit, the
sender's batch, the evaluator's first open or click) also reports it here:

- always one log line per journey step, `{"message": "step counters", "journey": ...,
  "step": ..., "entered": 1, ...}`: ids and counts only, never member data. The
  dashboard's "Journey steps" widget sums these with Logs Insights, billed per GB
  scanned when someone looks, no custom metric;
- with `kairos:metrics=detailed`, the `kairos.metric_names.STEP_COUNTERS` among them as
  CloudWatch metrics with `journey` and `step` dimensions (kairos.observability).
"""

from __future__ import annotations

from collections.abc import Mapping

from kairos.metric_names import STEP_COUNTERS_LOG
from kairos.observability import count_step, logger

StepIncrements = Mapping[tuple[str, str], Mapping[str, float]]
"""(journey, step) → counter name → amount added (`-` is the journey's own step)."""


def report(increments: StepIncrements) -> None:
    """One log line (and, detailed, one EMF document) per journey step that counted."""
    for (journey, step), counts in sorted(increments.items()):
        added = {name: amount for name, amount in sorted(counts.items()) if amount}
        if not added:
            continue
        logger.info(STEP_COUNTERS_LOG, extra={**added, "journey": journey, "step": step})
        count_step(journey, step, added)
