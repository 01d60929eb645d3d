"""The browser tier's own footing, independent of the console's pages: Chromium starts,
`kairos local` serves a console's files, and a page signs in with the development login
and calls the API as the real console does (a stub console, tests/browser/stub_console)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kairos_dev.local.console_memory import MemoryRuntime
from tests.browser.conftest import BRAND, Browser

STUB = Path(__file__).parent / "stub_console"


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryRuntime]:
    saved_dir, saved_env = os.getcwd(), dict(os.environ)
    os.chdir(tmp_path_factory.mktemp("local"))
    runtime = MemoryRuntime.start(
        str(BRAND), port=0, console_users=["ana:admin", "bo:staff"], pumps=False
    )
    runtime.api.site.dist = STUB
    try:
        yield runtime
    finally:
        runtime.stop()
        os.chdir(saved_dir)
        os.environ.clear()
        os.environ.update(saved_env)


def test_a_page_signs_in_with_the_development_login(stub: MemoryRuntime, browser: Browser) -> None:
    page = browser.page()
    page.goto(stub.api.console_url)
    page.get_by_text("done").wait_for()
    answers = json.loads(page.locator("#out").inner_text())
    # With ana's token the claims reached the function: an admin's call, neither 401 nor 403
    assert answers.pop("with") not in (401, 403)
    assert answers == {
        "auth": "dev",
        "users": ["ana:admin", "bo:staff"],
        "without": 401,  # API Gateway's answer, before the function
    }
