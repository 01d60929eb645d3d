"""Request counts kept by the engine store for the evaluator's request figures.

Scheduled to go: request figures come from the metering client and the memory backend's
counters (kairos_dev), not from the production write path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Usage:
    requests: int = 0
    write_units: float = 0.0
    read_units: float = 0.0
