"""Console benchmark in the browser: the members page's first load in headless Chromium
against `kairos local` over the example brand's simulated year (what `make console`
serves), and the JavaScript that load fetched. Its figures join the `console` stage's
in bench/results.json (bench/run.py `INTO`).

- `first_load_ms`: median over `KAIROS_BENCH_CONSOLE_RUNS` (default 7) loads, each in a
  fresh browser profile signed in through the development login, with the browser's
  cache emptied before the timed load: from navigation to the first member row shown.
- `first_load_p_max_ms`: the slowest of those loads.
- `js_gzip_kb`: the JavaScript files that load fetched, each gzipped (level 9, as the
  build reports it), in KiB.

Needs the built console (`make console-build`) and a Chromium (Debian's
`/usr/bin/chromium`, or Playwright's own); without either it says so and measures nothing.
"""

from __future__ import annotations

import gzip
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kairos_dev.local.console_memory import MemoryRuntime
from kairos_dev.local.console_site import DIST

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
UNTIL = datetime.fromisoformat("2027-01-01T00:00:00+08:00")
RUNS = int(os.environ.get("KAIROS_BENCH_CONSOLE_RUNS", "7"))
CHROMIUM = Path("/usr/bin/chromium")
MEMBER_ROW = "[data-testid=member-row]"
"""What the members page shows once it has its first page of members."""

TARGETS = {"first_load_ms": ("<=", 1500.0), "js_gzip_kb": ("<=", 200.0)}
FIGURES = ("first_load_ms", "first_load_p_max_ms", "js_gzip_kb")
"""Kept in the `console` stage's figures when that stage runs again."""


def _sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    chooser = page.locator("select")
    if chooser.count():
        chooser.first.select_option(value="staff")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign out").wait_for()


def _one_load(driver: Any, url: str) -> tuple[float, float]:
    """(milliseconds to the first member row, gzipped KiB of the JavaScript fetched)."""
    with tempfile.TemporaryDirectory(prefix="kairos-bench-chromium-") as profile:
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM) if CHROMIUM.exists() else None,
            args=["--disable-background-networking"],
            headless=True,
            locale="en-US",
        )
        try:
            context.set_default_timeout(30_000)
            page = context.pages[0] if context.pages else context.new_page()
            _sign_in(page, url)
            page.goto("about:blank")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.clearBrowserCache")
            scripts: list[Any] = []
            page.on(
                "response",
                lambda r: scripts.append(r) if r.request.resource_type == "script" else None,
            )
            began = time.perf_counter()
            page.goto(f"{url}#/members")
            page.locator(MEMBER_ROW).first.wait_for()
            elapsed = (time.perf_counter() - began) * 1000
            kib = sum(len(gzip.compress(r.body(), 9)) for r in scripts) / 1024
            return elapsed, kib
        finally:
            context.close()


def run() -> dict[str, float]:
    if not (DIST / "index.html").is_file():
        print(f"console_browser: no built console at {DIST} (make console-build)", file=sys.stderr)
        return {}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("console_browser: Playwright is not installed (make install)", file=sys.stderr)
        return {}
    saved_dir = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="kairos-bench-console-") as workdir:
        os.chdir(workdir)
        runtime = MemoryRuntime.start(str(EXAMPLES), port=0, simulate_until=UNTIL)
        try:
            with sync_playwright() as driver:
                loads = [_one_load(driver, runtime.api.console_url) for _ in range(RUNS)]
        finally:
            runtime.stop()
            os.chdir(saved_dir)
    times = [t for t, _ in loads]
    return {
        "first_load_ms": round(statistics.median(times), 1),
        "first_load_p_max_ms": round(max(times), 1),
        "js_gzip_kb": round(statistics.median(k for _, k in loads), 1),
    }
