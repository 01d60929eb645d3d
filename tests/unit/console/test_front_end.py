"""The console's front end agrees with the API: its TypeScript types (console/src/api/
types.ts) are what `npm run types` makes of schema.json, and its own tests pass (the CSV
chunking of the import). Needs console/node_modules (`make console-build`); skipped with
the reason without it, failed under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[3] / "console"


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    if npm is None or not (CONSOLE / "node_modules").is_dir():
        reason = "the console's npm packages are not installed (make console-build)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return subprocess.run(
        [npm, "run", "--silent", *args],
        cwd=CONSOLE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_front_ends_types_are_generated_from_the_current_schema() -> None:
    # Given the API's schema as committed, when the types are generated again
    done = _npm("types:check")
    # Then they are the committed types.ts
    assert done.returncode == 0, done.stderr or done.stdout


def test_the_front_ends_own_tests_pass() -> None:
    done = _npm("test")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
