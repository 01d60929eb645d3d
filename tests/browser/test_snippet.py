"""The website snippet in a real headless Chromium: a shop page on its own origin loads
`kairos.js` from `kairos local` (memory backend), the visitor browses, the page is
closed, and the beacon's events are on the visitor's profile; with Global Privacy
Control on, nothing is sent (docs/tracking.md)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kairos.collect.visits import visitor_member_id
from kairos.models.member import Member
from kairos.store.members import MemberRepository
from kairos_dev.local.console_memory import MemoryRuntime
from tests.browser.conftest import ARGS, BRAND

KEY = "pk_test_browser"
# A person's browser (headless Chromium's own user agent is dropped as a bot's).
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE = """<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">
<title>悅眠 | {title}</title>
<script src="{kairos}/collect/kairos.js" data-key="{key}" {extra} async></script>
</head><body><h1>{title}</h1></body></html>"""


class _Shop(BaseHTTPRequestHandler):
    kairos = ""
    extra = ""

    def do_GET(self) -> None:
        title = "獨立筒床墊" if self.path.startswith("/p/") else "首頁"
        body = PAGE.format(title=title, kairos=self.kairos, key=KEY, extra=self.extra).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MemoryRuntime, str]]:
    """`kairos local` allowing the shop's origin, and the shop on another port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    saved_dir, saved_env = os.getcwd(), dict(os.environ)
    os.environ["KAIROS_COLLECT_SITES"] = json.dumps([{"key": KEY, "origins": [origin]}])
    os.chdir(tmp_path_factory.mktemp("local"))
    runtime = MemoryRuntime.start(str(BRAND), port=0)
    _Shop.kairos = runtime.url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield runtime, origin
    finally:
        server.shutdown()
        runtime.stop()
        os.chdir(saved_dir)
        os.environ.clear()
        os.environ.update(saved_env)


def _context(playwright: Any, chromium: str | None, **options: Any) -> tuple[Any, Path]:
    profile = Path(tempfile.mkdtemp(prefix="kairos-chromium-"))
    context = playwright.chromium.launch_persistent_context(
        # Also on the command line: a beacon sent while the page unloads carries the
        # browser's own user agent, not the context's override.
        str(profile), executable_path=chromium, args=[*ARGS, f"--user-agent={USER_AGENT}"],
        headless=True,
        locale="zh-TW", user_agent=USER_AGENT, **options,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    return context, profile


def _member(runtime: MemoryRuntime, visitor: str) -> Member | None:
    stack = runtime.simulation.stack
    member_id = visitor_member_id(visitor, stack.secrets.member_id_key.encode())
    with runtime.lock:
        return MemberRepository(stack.tables["main"], stack.client("dynamodb")).get(member_id)


def _wait_for(runtime: MemoryRuntime, visitor: str, pages: int) -> Member:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        member = _member(runtime, visitor)
        if member is not None and member.stats.views.pages >= pages:
            return member
        time.sleep(0.2)
    raise AssertionError(f"no {pages} page views on the visitor's profile")


def test_browsing_then_closing_the_page_flushes_the_events_to_the_profile(
    shop: tuple[MemoryRuntime, str], playwright: Any, chromium: str | None
) -> None:
    runtime, origin = shop
    context, profile = _context(playwright, chromium)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{origin}/")
        page.wait_for_function("window.kairos && window.kairos.__loaded")
        page.goto(f"{origin}/p/mat-queen")  # the first page's queue is flushed on pagehide
        page.wait_for_function("window.kairos && window.kairos.__loaded")
        page.evaluate(
            """kairos.track("product.viewed", {sku: "MAT-QUEEN", name: "獨立筒床墊",
               category: "mattress", price: 28800, url: location.href,
               image: location.origin + "/i/mat-queen.jpg"})"""
        )
        page.evaluate(
            """kairos.track("cart.updated", {items: [{sku: "MAT-QUEEN", qty: 1, price: 28800}],
               total: 28800, currency: "TWD"})"""
        )
        visitor = page.evaluate("localStorage.getItem('kairos_vid')")
        assert visitor
        page.close(run_before_unload=True)  # pagehide: the rest goes out as a beacon
        member = _wait_for(runtime, visitor, pages=2)
        deadline = time.monotonic() + 10
        while "cart" not in member.profile and time.monotonic() < deadline:
            time.sleep(0.2)
            member = _member(runtime, visitor) or member
        assert errors == []
        assert member.stats.views.sku == {"MAT-QUEEN": 1}
        assert member.profile["cart"]["total"] == 28800
        assert member.stats.views.visits == 1  # one visit, however many pages
        assert not member.identifiers
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_global_privacy_control_sends_nothing(
    shop: tuple[MemoryRuntime, str], playwright: Any, chromium: str | None
) -> None:
    runtime, origin = shop
    context, profile = _context(playwright, chromium)
    try:
        context.add_init_script(
            "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})"
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{origin}/")
        page.wait_for_function("window.kairos && window.kairos.__loaded")
        page.evaluate("kairos.track('product.viewed', {sku: 'MAT-QUEEN'})")
        visitor = page.evaluate("localStorage.getItem('kairos_vid')")
        page.close(run_before_unload=True)
        time.sleep(1.5)
        assert visitor is None or _member(runtime, visitor) is None
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)
