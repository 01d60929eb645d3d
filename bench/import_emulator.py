"""Member import benchmark on the emulator (`import_emulator.*`): the same CRM export
as bench/import_members.py, `KAIROS_BENCH_IMPORT_EMULATOR_ROWS` rows (2,000), through
`kairos members import` against tables served by moto over HTTP. On a laptop this is the
emulator's ceiling (one Python process serving every request), not Kairos's.

Figures: `rows_per_s`, `rows`, `seconds`, `rejected`.
"""

from __future__ import annotations

import json
import os
import uuid

from bench.import_members import timed_import
from kairos_dev.local.emulator import start_emulator
from kairos_dev.local.stack import create_local_stack

ROWS = int(os.environ.get("KAIROS_BENCH_IMPORT_EMULATOR_ROWS", "2000"))


def run() -> dict[str, float]:
    emulator = start_emulator()
    saved = dict(os.environ)
    emulator.activate()
    try:
        stack = create_local_stack(emulator, prefix=f"i{uuid.uuid4().hex[:8]}")
        return timed_import(stack, ROWS)
    finally:
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
