"""What members and platforms sent is shown as text, never run; each role sees only the
controls it may use; a signed-out browser's token no longer opens the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.browser.conftest import Browser, Console
from tests.browser.pages import go, open_member, search, section, sign_in, sign_out
from tests.browser.seed import HOSTILE, HOSTILE_MESSAGE, HOSTILE_NAME, HOSTILE_NOTE, XIAOMEI


def test_hostile_names_notes_and_messages_render_as_text(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    # Given a member whose name is markup: the list shows it as text
    search(page, console.url, HOSTILE.phone or "")
    page.get_by_test_id("member-row").get_by_text(HOSTILE_NAME).wait_for()
    open_member(page, console.url, HOSTILE.phone or "", HOSTILE_NAME)
    # When staff add a note that is markup
    page.get_by_label("Add note").or_(page.get_by_placeholder("Add note")).first.fill(HOSTILE_NOTE)
    page.get_by_role("button", name="Add note").click()
    section(page, "member-notes").get_by_text(HOSTILE_NOTE).wait_for()
    # Then the name and the note are on the page as the characters they are
    page.get_by_role("heading", name=HOSTILE_NAME).first.wait_for()
    assert page.locator("img[src=x]").count() == 0
    # And what the member wrote on LINE, and the message the journey sent with their
    # name in it, are text in their history
    history = section(page, "member-history")
    history.get_by_text(HOSTILE_MESSAGE).first.wait_for()
    history.get_by_text(f"Welcome, {HOSTILE_NAME}!").first.wait_for()
    assert page.evaluate("() => document.querySelectorAll('body script').length") == 0
    # (the fixture asserts that no dialog opened)


def test_staff_do_not_see_what_only_marketers_and_admins_may_do(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    nav = page.get_by_role("navigation")
    nav.get_by_role("link", name="Members").or_(
        nav.get_by_role("link", name="會員")
    ).first.wait_for()
    for hidden in ("Journeys", "Segments", "Import", "Audit log"):
        assert nav.get_by_role("link", name=hidden).count() == 0, hidden
    open_member(page, console.url, "0912-345-678", XIAOMEI.name)
    page.get_by_role("button", name="Add tag").wait_for()
    for hidden in ("Erase member", "Merge", "Export"):
        assert page.get_by_role("button", name=hidden).count() == 0, hidden


def test_a_marketer_sees_journeys_and_import_but_not_erase_or_the_audit_log(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "mia")
    nav = page.get_by_role("navigation")
    for shown in ("Journeys", "Segments", "Import"):
        nav.get_by_role("link", name=shown).wait_for()
    assert nav.get_by_role("link", name="Audit log").count() == 0
    open_member(page, console.url, "0912-345-678", XIAOMEI.name)
    page.get_by_role("button", name="Add tag").wait_for()
    for hidden in ("Erase member", "Merge"):
        assert page.get_by_role("button", name=hidden).count() == 0, hidden


def test_a_page_opened_by_a_staff_member_for_admins_says_they_may_not(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    go(page, console.url, "#/audit")
    page.get_by_test_id("forbidden").wait_for()


def test_after_sign_out_the_token_is_refused_and_the_console_asks_to_sign_in(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            seen.append(r.headers.get("authorization", "")) if "/console/api/" in r.url else None
        ),
    )
    sign_in(page, console.url, "staff")
    go(page, console.url, "#/members")
    page.get_by_text(XIAOMEI.name).first.wait_for()
    token = next(t for t in seen if t.startswith("Bearer "))
    sign_out(page)
    # The page forgot the token: going back to a page needs a new sign-in
    go(page, console.url, "#/members")
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert (
        page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})").find(
            token.removeprefix("Bearer ")
        )
        == -1
    )
    # And a token that was never issued (or has expired) is 401 at the API, before the function
    request = urllib.request.Request(
        f"{console.runtime.url}/console/api/members",
        headers={"Authorization": token + "x"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a bad token was accepted")
    except urllib.error.HTTPError as exc:
        assert (exc.code, json.loads(exc.read())) == (401, {"message": "Unauthorized"})


def test_an_expired_session_goes_back_to_sign_in(console: Console, browser: Browser) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    # When the server no longer accepts the token (a new run's key)
    tokens = console.runtime.api.tokens
    key, tokens.key = tokens.key, b"another run's key"
    try:
        go(page, console.url, "#/members")
        page.reload()
        # Then the console answers a 401 with its sign-in page
        page.get_by_role("button", name="Sign in", exact=True).wait_for()
    finally:
        tokens.key = key
