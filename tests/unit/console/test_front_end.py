"""The console's front end agrees with the API: its TypeScript types (console/src/api/
types.ts) are what `npm run types` makes of schema.json, and its own tests pass (the CSV
chunking of the import). Needs console/node_modules (`make console-build`); skipped with
the reason without it, failed under CI."""

from __future__ import annotations

import gzip
import os
import re
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


def test_the_built_console_loads_at_most_200_kb_of_gzipped_script_and_none_inline() -> None:
    dist = CONSOLE / "dist"
    if not (dist / "index.html").is_file():
        reason = "the console is not built (make console-build)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    page = (dist / "index.html").read_text(encoding="utf-8")
    # Given the page's own scripts and what they import statically
    first = re.findall(r'<script[^>]*\bsrc="/console/(assets/[^"]+\.js)"', page)
    assert first, page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), (
        "an inline script (the CSP refuses it)"
    )
    loaded = set(first)
    pending = list(first)
    while pending:
        code = (dist / pending.pop()).read_text(encoding="utf-8")
        for name in re.findall(r'from\s*"\./([^"]+\.js)"', code):
            if f"assets/{name}" not in loaded:
                loaded.add(f"assets/{name}")
                pending.append(f"assets/{name}")
    # Then the first load is small, and the journey diagram is not part of it
    size = sum(len(gzip.compress((dist / name).read_bytes(), 9)) for name in loaded)
    assert size <= 200 * 1024, f"{size / 1024:.0f} KB gzipped on first load"
    assert not any("Journey" in name for name in loaded), loaded
    assert any("Journey" in path.name for path in (dist / "assets").glob("*.js"))
