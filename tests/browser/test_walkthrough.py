"""The walkthrough a new user takes (issue 15), one role after another on one seeded
stack: staff find a member and work on them, a marketer reads a journey, exports a
segment and imports members, an admin erases a member and reads who did all of it
(the export and the import check their own audit entries, so each test stands alone
as far as the audit log goes)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import Browser, Console, not_built_yet
from tests.browser.pages import go, open_member, section, sign_in, sign_out
from tests.browser.seed import DAWEN, XIAOMEI

NOTE = "Asked about the queen mattress; call back Friday"
ERASE_REFERENCE = "DSR-2026-0042"
VIP_JOURNEY = re.compile("VIP welcome|vip-welcome")


def test_staff_find_a_member_by_phone_and_see_what_happened(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    # When staff search the phone number as people write it
    open_member(page, console.url, "0912-345-678", XIAOMEI.name)
    # Then the member's page shows their LINE follow, their order and the message they
    # got, naming its journey and step
    history = section(page, "member-history")
    history.get_by_text(re.compile("follow", re.I)).first.wait_for()
    history.get_by_text("T-1001").first.wait_for()
    message = history.get_by_test_id("history-entry").filter(has_text="welcome").first
    message.wait_for()
    assert "hello" in message.inner_text()
    # And every moment on their profile reads as the brand's date and time, not ISO 8601
    profile = section(page, "member-profile").inner_text()
    assert "joined_at" in profile
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", profile), profile


def test_staff_tag_a_member_vip_and_the_vip_journey_enrols_them(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    open_member(page, console.url, "0912-345-678", XIAOMEI.name)
    # When staff add the tag vip
    page.get_by_label("Add tag").or_(page.get_by_placeholder("Add tag")).first.fill("vip")
    page.get_by_role("button", name="Add tag").click()
    section(page, "member-tags").get_by_text("vip", exact=True).wait_for()
    # Then the journey triggered by tag.added enrols them (the pumps run in the background)
    journeys = section(page, "member-journeys")
    for _ in range(20):
        page.reload()
        journeys = section(page, "member-journeys")
        if journeys.get_by_text(VIP_JOURNEY).count():
            break
        page.wait_for_timeout(500)
    journeys.get_by_text(VIP_JOURNEY).first.wait_for()


def test_staff_add_a_note_signed_with_their_name(console: Console, browser: Browser) -> None:
    page = browser.page()
    sign_in(page, console.url, "staff")
    open_member(page, console.url, "0912-345-678", XIAOMEI.name)
    page.get_by_label("Add note").or_(page.get_by_placeholder("Add note")).first.fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    note = section(page, "member-notes").get_by_test_id("note").filter(has_text=NOTE)
    note.wait_for()
    assert "staff" in note.inner_text()


def test_a_marketer_reads_a_journeys_step_counts_and_who_waits(
    console: Console, browser: Browser
) -> None:
    not_built_yet(console, "GET", "journeys/welcome")
    page = browser.page()
    sign_in(page, console.url, "mia")
    go(page, console.url, "#/journeys")
    page.get_by_role("link", name="Welcome new friends").click()
    # Every step shows its counts; everyone followed, so each got the hello
    step = page.get_by_test_id("step-hello")
    step.wait_for()
    assert re.search(r"\b4\b", step.inner_text())
    # Clicking the waiting step lists the members waiting there
    page.get_by_test_id("step-settle").click()
    waiting = section(page, "step-members")
    waiting.get_by_text(XIAOMEI.name).wait_for()
    waiting.get_by_text(DAWEN.name).wait_for()


def test_a_marketer_exports_a_segment(console: Console, browser: Browser) -> None:
    not_built_yet(console, "GET", "segments/buyers")
    page = browser.page()
    sign_in(page, console.url, "mia")
    go(page, console.url, "#/segments")
    page.get_by_role("link", name="Buyers").click()
    section(page, "segment-members").get_by_text(XIAOMEI.name).wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    rows = _csv(download.value)
    assert {XIAOMEI.email, DAWEN.email} <= {row.get("email") for row in rows}
    # And the audit log says who exported
    audit_shows(browser, console, "mia", "export")


def test_a_marketer_imports_a_csv_with_one_bad_row_and_downloads_the_rejects(
    console: Console, browser: Browser, tmp_path: Path
) -> None:
    upload = tmp_path / "members.csv"
    upload.write_text(
        "name,email,phone,tags\n"
        "林怡君,yijun@example.com,0911-222-333,newsletter\n"
        "張美玲,not-an-email,0955-666-777,newsletter\n"
        "黃俊傑,junjie@example.com,,newsletter\n",
        encoding="utf-8",
    )
    not_built_yet(console, "POST", "imports/preview")
    page = browser.page()
    sign_in(page, console.url, "mia")
    go(page, console.url, "#/import")
    page.locator("input[type=file]").set_input_files(str(upload))
    # The mapping step, then the preview naming the bad row's problem
    page.get_by_test_id("import-mapping").wait_for()
    page.get_by_role("button", name=re.compile("preview", re.I)).click()
    problems = section(page, "import-problems")
    problems.get_by_text(re.compile("email")).first.wait_for()
    page.get_by_role("button", name="Import").click()
    progress = section(page, "import-progress")
    progress.get_by_text(re.compile(r"2\D+applied|applied\D+2", re.I)).wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("rejects", re.I)).or_(
            page.get_by_role("link", name=re.compile("rejects", re.I))
        ).first.click()
    rejects = _csv(download.value)
    assert len(rejects) == 1, rejects
    assert "not-an-email" in ",".join(rejects[0].values())
    # And the audit log says who imported
    audit_shows(browser, console, "mia", "import")


def test_an_admin_erases_a_member_with_a_request_reference_and_reads_the_audit_log(
    console: Console, browser: Browser
) -> None:
    page = browser.page()
    sign_in(page, console.url, "admin")
    open_member(page, console.url, "zhiming@example.com", "王志明")
    page.get_by_role("button", name="Erase member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile("request", re.I)).fill(ERASE_REFERENCE)
    dialog.get_by_role("button", name="Erase member").click()
    page.get_by_text(re.compile("erased", re.I)).first.wait_for()
    # The audit log shows every change above, each with who made it
    go(page, console.url, "#/audit")
    log = section(page, "audit-log")
    log.get_by_text(ERASE_REFERENCE).first.wait_for()
    entries = [e.lower() for e in log.get_by_test_id("audit-entry").all_inner_texts()]
    for who, what in (("staff", "tag"), ("staff", "note"), ("admin", "erase")):
        assert any(who in e and what in e for e in entries), (who, what, entries)
    sign_out(page)


def audit_shows(browser: Browser, console: Console, who: str, what: str) -> None:
    """An admin's audit log has an entry by `who` whose action names `what`."""
    page = browser.page()
    sign_in(page, console.url, "admin")
    go(page, console.url, "#/audit")
    entries = section(page, "audit-log").get_by_test_id("audit-entry")
    entries.filter(has_text=who).filter(has_text=re.compile(what, re.I)).first.wait_for()


def _csv(download: Any) -> list[dict[str, str]]:
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))
