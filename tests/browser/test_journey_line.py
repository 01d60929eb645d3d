"""A marketer reads a journey's LINE figures in the console: each LINE step's opens and
clicks as LINE counts them ("< 20" where LINE hides the number, "—" before they were
read) and this month's messages, billed and free, priced on each Taiwan plan. On its
own seeded stack (its module's): the seed's four friends are welcomed with a push (the
seed's reply token is not one LINE issued), two more follow with tokens the fake LINE
issued and are welcomed with a free reply; then the statistics job reads LINE's
figures of the welcome step (not yet of the tip)."""

from __future__ import annotations

from kairos.ingest.signatures import sign_line
from kairos.reports.line_units import refresh
from kairos.richmenus.api import LineApi
from kairos.store.line_units import LineUnitStore
from kairos_dev.local.line_inprocess import InProcessApi
from tests.browser.conftest import Browser, Console
from tests.browser.pages import go, section, sign_in
from tests.browser.seed import PEOPLE, _post, repository, wait_for_kind
from tests.builders import follow, line_body

NEWCOMERS = ["U" + "e5" * 16, "U" + "f6" * 16]


def _welcome_with_replies(console: Console) -> None:
    """Two follows carrying reply tokens the fake LINE issued, through the real webhook,
    one after the other (sends made together go as one multicast, never a reply); until
    every friend, the seed's and these, has had the welcome."""
    runtime = console.runtime
    fake = runtime.simulation._fake_line
    secret = runtime.simulation.stack.secrets.line_channel_secret
    repo = repository(runtime)

    def welcomed(user: str) -> None:
        with runtime.lock:
            member = repo.find("line_user_id", user)
        assert member is not None, user
        wait_for_kind(runtime, member, "delivery.sent")

    for person in PEOPLE:
        welcomed(person.line_user_id)
    for i, user in enumerate(NEWCOMERS):
        event = follow(user, f"line-follow-new-{i}", ts=int(runtime.now().timestamp() * 1000))
        event["replyToken"] = fake.issue_reply_token(user)
        body = line_body(event)
        _post(f"{runtime.url}/line/webhook", body, {"X-Line-Signature": sign_line(body, secret)})
        welcomed(user)


def _read_line_units(console: Console, steps: list[tuple[str, str]]) -> None:
    """`kairos stats --refresh-line-units` for these steps, against the fake LINE."""
    runtime = console.runtime
    fake = runtime.simulation._fake_line
    stack = runtime.simulation.stack
    with runtime.lock:
        store = LineUnitStore(stack.tables["main"], stack.client("dynamodb"))
        api = LineApi(InProcessApi(fake, lambda: str(fake.token)))
        assert refresh(api, store, steps, runtime.now()).read == steps


def test_a_marketer_reads_lines_opens_and_clicks_and_the_months_bill(
    console: Console, browser: Browser
) -> None:
    _welcome_with_replies(console)
    _read_line_units(console, [("welcome", "hello")])
    page = browser.page()
    sign_in(page, console.url, "mia")
    go(page, console.url, "#/journeys/welcome")
    # Then the welcome step shows LINE's figures hidden (six friends: under 20), with
    # the days LINE counted; the tip, never read, shows no figure yet
    hello = section(page, "step-line-hello")
    assert hello.get_by_text("< 20").count() == 2, hello.inner_text()
    assert hello.get_attribute("title").startswith("LINE's count of ")
    tip = section(page, "step-line-tip")
    assert tip.get_by_text("—").count() == 2, tip.inner_text()
    assert "Not read from LINE yet" in (tip.get_attribute("title") or "")
    # And this month's bill: four welcomes pushed (billed), two replied (free)
    month = section(page, "journey-month")
    month.get_by_role("heading", name="This month").wait_for()
    assert month.get_by_test_id("month-line_billed").inner_text() == "4"
    assert month.get_by_test_id("month-line_free").inner_text() == "2"
    assert month.get_by_test_id("month-sms").inner_text() == "0 (0)"
    plans = month.get_by_test_id("journey-plans")
    assert "NT$0" in plans.get_by_role("row", name="Light").inner_text()
    assert "NT$1,200" in plans.get_by_role("row", name="High").inner_text()
