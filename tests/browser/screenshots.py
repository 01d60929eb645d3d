"""The screenshots in docs/console.md: every page of the console over what `make console`
serves (the example brand's simulated year on the memory backend), taken with the same
headless Chromium the browser tests use.

    .venv/bin/python -m tests.browser.screenshots [--out docs/console]

The names and messages are Chinese: install a CJK font first (Debian:
`apt-get install fonts-noto-cjk`), or they show as boxes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable
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
LAST_MONTH = "2026-12"
"""A name prefix the example brand's members share."""
NOTE = "來電詢問雙人床墊的保固，週五回電"
IMPORT_SAMPLE = (
    "姓名,email,電話,標籤\n"
    "林怡君,yijun@example.com,0911-222-333,newsletter\n"
    "張美玲,not-an-email,0955-666-777,newsletter\n"
    "黃俊傑,junjie@example.com,02 2345 6789,newsletter\n"
)


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _shoot(page: Any, out: Path, name: str, full_page: bool = True) -> None:
    _settle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)
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
                accept_downloads=True,
            )
            context.set_default_timeout(15_000)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(url)
            page.get_by_role("button", name="Sign in", exact=True).wait_for()
            _shoot(page, out, "sign-in")
            sign_in(page, url, "admin")
            go(page, url, "#/members")
            page.get_by_test_id("member-row").first.wait_for()
            _shoot(page, out, "members")
            with page.expect_download():
                page.get_by_role("button", name="Export").click()
            box = page.get_by_label("Search members").first
            box.fill(SEARCH)
            box.press("Enter")
            page.get_by_test_id("member-row").first.wait_for()
            _shoot(page, out, "members-search")
            page.get_by_test_id("member-row").first.get_by_role("link").first.click()
            page.wait_for_url(re.compile(r"#/members/m-"))
            member_url = page.url
            page.get_by_test_id("member-history").wait_for()
            # Some staff work, so the page and the audit log show it
            page.get_by_placeholder("Add tag").fill("called")
            page.get_by_role("button", name="Add tag").click()
            page.get_by_test_id("member-tags").get_by_text("called", exact=True).wait_for()
            page.get_by_placeholder("Add note").fill(NOTE)
            page.get_by_role("button", name="Add note").click()
            page.get_by_test_id("note").filter(has_text=NOTE).wait_for()
            _shoot(page, out, "member")
            page.get_by_role("button", name="Erase member").click()
            page.get_by_role("dialog").wait_for()
            _shoot(page, out, "member-erase", full_page=False)
            page.keyboard.press("Escape")
            _phone(page, out, "member-phone", "member-history")
            go(page, url, "#/journeys")
            _shoot(page, out, "journeys")
            go(page, url, "#/journeys/winback-dormant")
            page.get_by_test_id("journey-diagram").wait_for()
            _last_month_with_sends(page)
            _shoot(page, out, "journey")
            go(page, url, "#/segments")
            _shoot(page, out, "segments")
            go(page, url, "#/segments/vip")
            _shoot(page, out, "segment")
            go(page, url, "#/import")
            sample = Path(profile) / "members.csv"
            sample.write_text(IMPORT_SAMPLE, encoding="utf-8")
            page.get_by_test_id("import-file").set_input_files(str(sample))
            try:
                page.get_by_test_id("import-mapping").wait_for()
                page.get_by_role("button", name=re.compile("preview", re.I)).click()
                page.get_by_test_id("import-problems").wait_for()
                _shoot(page, out, "import")
                page.get_by_role("button", name="Import").click()
                page.get_by_test_id("import-progress").get_by_text(
                    re.compile("applied", re.I)
                ).first.wait_for()
                _shoot(page, out, "import-done")
            except Exception as exc:  # the page as it is, with what went wrong
                print(f"  import: stopped ({type(exc).__name__})", file=sys.stderr)
                _shoot(page, out, "import")
            go(page, url, "#/audit")
            _shoot(page, out, "audit")
            # The same pages in Traditional Chinese, the console's default language
            page.evaluate("localStorage.setItem('kairos.lang', 'zh-TW')")
            go(page, url, "#/members")
            page.reload()  # the language is read when the console loads
            page.get_by_test_id("member-row").first.wait_for()
            _shoot(page, out, "members-zh")
            page.goto(member_url)
            page.get_by_test_id("member-history").wait_for()
            _shoot(page, out, "member-zh")
            _phone(page, out, "member-phone-zh", "member-history")
            go(page, url, "#/journeys/winback-dormant")
            page.get_by_test_id("journey-diagram").wait_for()
            _last_month_with_sends(page)
            _shoot(page, out, "journey-zh")
            _phone(page, out, "journey-phone-zh", "journey-diagram", _last_month_with_sends)
            context.close()
    finally:
        runtime.stop()


def _phone(
    page: Any, out: Path, name: str, ready: str, again: Callable[[Any], None] | None = None
) -> None:
    """The page in a phone's window (then back to the desktop's); `again` redoes what
    the reload forgot."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_test_id(ready).wait_for()
    if again is not None:
        again(page)
    _shoot(page, out, name)
    page.set_viewport_size({"width": 1280, "height": 800})


def _last_month_with_sends(page: Any) -> None:
    """The journey's bill for December: the console's "now" is the end of the simulated
    year, whose own month (January) has nothing sent yet."""
    page.get_by_test_id("journey-month").locator("input[type=month]").fill(LAST_MONTH)
    page.get_by_test_id("journey-month").get_by_text(LAST_MONTH).first.wait_for()


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
