"""The screenshots in docs/console.md: every page of the console over what `make console`
serves (the example brand's simulated year on the memory backend), taken with the same
headless Chromium the browser tests use.

    .venv/bin/python -m tests.browser.screenshots [--out docs/console]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from kairos_dev.local.console_memory import MemoryRuntime
from kairos_dev.local.console_site import DIST
from tests.browser.conftest import ARGS, SYSTEM_CHROMIUM
from tests.browser.pages import go, sign_in

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
UNTIL = datetime.fromisoformat("2027-01-01T00:00:00+08:00")
SEARCH = "陳"
"""A name prefix the example brand's members share."""


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _shoot(page: Any, out: Path, name: str) -> None:
    _settle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(f"  {out / name}.png")


def take(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    runtime = MemoryRuntime.start(str(EXAMPLES), port=0, simulate_until=UNTIL)
    url = runtime.api.console_url
    try:
        with sync_playwright() as driver, tempfile.TemporaryDirectory() as profile:
            context = driver.chromium.launch_persistent_context(
                profile,
                executable_path=str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else None,
                args=ARGS,
                headless=True,
                locale="en-US",
                timezone_id="Asia/Taipei",
                viewport={"width": 1280, "height": 800},
            )
            context.set_default_timeout(15_000)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(url)
            page.get_by_role("button", name="Sign in", exact=True).wait_for()
            _shoot(page, out, "sign-in")
            sign_in(page, url, "admin")
            go(page, url, "#/members")
            _shoot(page, out, "members")
            box = page.get_by_label("Search members").first
            box.fill(SEARCH)
            box.press("Enter")
            page.get_by_test_id("member-row").first.wait_for()
            _shoot(page, out, "members-search")
            page.get_by_test_id("member-row").first.get_by_role("link").first.click()
            page.wait_for_url(re.compile(r"#/members/m-"))
            page.get_by_test_id("member-history").wait_for()
            _shoot(page, out, "member")
            page.get_by_role("button", name="Erase member").click()
            page.get_by_role("dialog").wait_for()
            _shoot(page, out, "member-erase")
            page.keyboard.press("Escape")
            page.set_viewport_size({"width": 390, "height": 844})
            page.reload()
            page.get_by_test_id("member-history").wait_for()
            _shoot(page, out, "member-phone")
            page.set_viewport_size({"width": 1280, "height": 800})
            go(page, url, "#/journeys")
            _shoot(page, out, "journeys")
            go(page, url, "#/journeys/winback-dormant")
            page.get_by_test_id("journey-diagram").wait_for()
            _shoot(page, out, "journey")
            go(page, url, "#/segments")
            _shoot(page, out, "segments")
            go(page, url, "#/segments/vip")
            _shoot(page, out, "segment")
            go(page, url, "#/import")
            _shoot(page, out, "import")
            go(page, url, "#/audit")
            _shoot(page, out, "audit")
            context.close()
    finally:
        runtime.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshots")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console")
    args = parser.parse_args(argv)
    if not (DIST / "index.html").is_file():
        print(f"no built console at {DIST}: run make console-build", file=sys.stderr)
        return 1
    out = args.out.resolve()
    saved = os.getcwd()
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)
        try:
            take(out)
        finally:
            os.chdir(saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
