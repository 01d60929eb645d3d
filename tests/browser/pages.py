"""What a user does in the console, as steps the browser tests share: sign in, find a
member, open a page. Each step waits for what the user would wait for, by the console's
English labels ("Search members", "Add tag", …) and a few data-testid attributes."""

from __future__ import annotations

import re
from typing import Any

SIGNED_IN = "Sign out"


def sign_in(page: Any, url: str, username: str) -> None:
    """The development sign-in: pick the user, then "Sign in"."""
    page.goto(url)
    button = page.get_by_role("button", name="Sign in", exact=True)
    button.wait_for()
    chooser = page.locator("select")
    if chooser.count():
        chooser.first.select_option(value=username)
    else:
        page.get_by_role("radio", name=re.compile(rf"^{re.escape(username)}\b")).check()
    button.click()
    page.get_by_role("button", name=SIGNED_IN).wait_for()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=SIGNED_IN).click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()


def go(page: Any, url: str, route: str) -> None:
    """Open a page by its address (`#/members`, `#/journeys/welcome`, …)."""
    page.goto(f"{url}{route}")


def search(page: Any, url: str, text: str) -> None:
    go(page, url, "#/members")
    box = page.get_by_role("searchbox", name="Search members").or_(
        page.get_by_label("Search members")
    )
    box.first.fill(text)
    box.first.press("Enter")


def open_member(page: Any, url: str, text: str, name: str) -> None:
    """Search, then open the member listed under `name`."""
    search(page, url, text)
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(re.compile(r"#/members/m-"))
    page.get_by_role("heading", name=name).first.wait_for()


def section(page: Any, testid: str) -> Any:
    """A part of a page by its data-testid (member-journeys, member-history, …)."""
    found = page.get_by_test_id(testid)
    found.wait_for()
    return found
