"""Member import benchmark (`import.*`): a CRM export of `KAIROS_BENCH_IMPORT_ROWS`
rows (100,000) through the real `kairos members import --map …` command on the memory
backend, in one process — what the import costs, not the emulator
(bench/import_emulator.py runs the same on the emulator).

The file looks like a shop's CRM export: its own column names (mapped with `--map`),
e-mail, mobile, LINE user id, customer number, name, gender, birthday, city, a few
`;`-separated tags and an e-mail consent column; one row in a hundred is bad (an e-mail
without `@`, a mobile too short, no identifier at all) and lands in the reject file.

Figures: `rows_per_s` (rows read, validated and applied per second, rejected rows
included), `rows`, `seconds` (the whole command: reading, validating, applying, the
reject file), `rejected`. Target: 100,000 rows in under 5 minutes (`rows_per_s` ≥ 333).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from kairos.clock import FixedClock
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.stack import LocalStack, create_local_stack

ROWS = int(os.environ.get("KAIROS_BENCH_IMPORT_ROWS", "100000"))
AT = "2026-03-01T10:00:00+08:00"
TARGETS = {"rows_per_s": (">=", 100_000 / 300)}  # 100,000 rows in under 5 minutes
HEADER = (
    "Customer No", "E-mail", "Mobile", "LINE UID", "Name", "Gender", "Birthday", "City",
    "Tags", "Email OK",
)  # fmt: skip
MAP = (
    "external_id=Customer No,email=E-mail,phone=Mobile,line_user_id=LINE UID,"
    "tags=Tags,consent_email=Email OK"
)
CITIES = ("台北市", "新北市", "台中市", "高雄市", "台南市", "桃園市")
TAGS = ("vip", "newsletter", "mattress", "pillow", "回購", "store-xinyi")


def write_crm_export(path: Path, rows: int) -> int:
    """`rows` rows of a CRM export; returns how many are bad (one in a hundred)."""
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            email, phone, line = f"c{i}@example.com", f"+8869{i:08d}", f"U{i:032x}"
            if i % 100 == 37:
                bad += 1
                kind = (i // 100) % 3
                if kind == 0:
                    email = f"c{i}-at-example.com"
                elif kind == 1:
                    phone = "0912"
                else:
                    email = phone = line = ""
            tags = ";".join(TAGS[j] for j in range(len(TAGS)) if (i >> j) % 4 == 0)
            writer.writerow(
                (
                    f"C{i:07d}" if line else "",
                    email,
                    phone,
                    line if i % 3 else "",  # not every customer has added the LINE account
                    f"會員{i}",
                    ("female", "male", "")[i % 3],
                    f"{1960 + i % 45}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    CITIES[i % len(CITIES)],
                    tags,
                    ("yes", "no", "")[i % 3],
                )
            )
    return bad


@contextlib.contextmanager
def _environment(stack: LocalStack, workdir: Path) -> Iterator[None]:
    """The command reads its table and secrets from the environment, and keeps function
    logs under the working directory: both pointed at the benchmark's, then put back."""
    saved, cwd = dict(os.environ), Path.cwd()
    os.environ.update(stack.environ())
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


def timed_import(stack: LocalStack, rows: int) -> dict[str, float]:
    """Write the export, run `kairos members import` on it, and the figures."""
    from kairos_dev.cli import main

    with tempfile.TemporaryDirectory(prefix="kairos-bench-import-") as tmp:
        workdir = Path(tmp)
        source = workdir / "crm.csv"
        bad = write_crm_export(source, rows)
        with _environment(stack, workdir):
            # The command's summary and reject report are not the benchmark's output.
            quiet = open(os.devnull, "w")  # noqa: SIM115
            with quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                started = time.perf_counter()
                code = main(["members", "import", str(source), "--map", MAP, "--at", AT])
                elapsed = time.perf_counter() - started
        rejects = workdir / "crm.rejects.csv"
        rejected = len(rejects.read_text(encoding="utf-8").splitlines()) - 1 if bad else 0
        if code != (1 if bad else 0) or rejected != bad:
            raise RuntimeError(f"import exited {code} with {rejected} rejects, {bad} expected")
    return {
        "rows_per_s": round(rows / elapsed, 1),
        "rows": float(rows),
        "seconds": round(elapsed, 2),
        "rejected": float(rejected),
    }


def run() -> dict[str, float]:
    backend = MemoryBackend(FixedClock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC)))
    stack = create_local_stack(backend, prefix="bench")

    def memory_client(service: str, *_: Any, **__: Any) -> Any:
        return backend.client(service)

    # `kairos members import` builds its clients with boto3.client: the memory
    # backend's instead, so the command runs unchanged.
    with mock.patch.object(boto3, "client", memory_client):
        return timed_import(stack, ROWS)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
