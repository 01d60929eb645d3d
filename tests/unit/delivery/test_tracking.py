"""Tracked and unsubscribe links: signed, compact, unforgeable, expiring, http(s) only."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from kairos.delivery.model import RenderError
from kairos.delivery.templates import RenderContext, Renderer
from kairos.delivery.tracking import (
    CLICK_LIFETIME,
    UNSUBSCRIBE_LIFETIME,
    BadToken,
    ExpiredToken,
    Tracker,
    UnsafeLink,
    _sign,
    make_token,
    read_token,
)
from kairos.models.template import Template

KEY = b"k" * 32
SENT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
LATER = SENT + timedelta(days=1)


def test_a_token_reads_back_what_it_was_made_from() -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/c/30?x=1&y=早", issued_at=SENT)
    link = read_token(KEY, token, LATER)
    assert (link.kind, link.delivery_id, link.member_id, link.url) == (
        "t", "d-1", "m-1", "https://shop.example/c/30?x=1&y=早",
    )  # fmt: skip
    assert link.expires == SENT + CLICK_LIFETIME
    assert "/" not in token and "+" not in token and "=" not in token  # url-safe as is


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
    lambda t: "x" + t,                                 # payload changed
    lambda t: t.replace(".", ""),                      # no separator
    lambda t: "",
])  # fmt: skip
def test_a_tampered_token_is_refused(mangle: object) -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/", issued_at=SENT)
    with pytest.raises(BadToken):
        read_token(KEY, mangle(token), LATER)  # type: ignore[operator]


def test_another_key_does_not_read_it() -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/", issued_at=SENT)
    with pytest.raises(BadToken):
        read_token(b"other", token, LATER)


def test_a_click_expires_after_its_lifetime_and_an_unsubscribe_lasts_longer() -> None:
    click = make_token(KEY, "d-1", "m-1", "https://shop.example/", issued_at=SENT)
    unsubscribe = make_token(KEY, "d-1", "m-1", "email", "u", issued_at=SENT)
    just_before = SENT + CLICK_LIFETIME - timedelta(seconds=1)
    assert read_token(KEY, click, just_before).url == "https://shop.example/"
    with pytest.raises(ExpiredToken):
        read_token(KEY, click, SENT + CLICK_LIFETIME)
    # An old newsletter must still unsubscribe long after its links stopped tracking.
    assert read_token(KEY, unsubscribe, SENT + CLICK_LIFETIME).url == "email"
    assert UNSUBSCRIBE_LIFETIME > CLICK_LIFETIME
    with pytest.raises(ExpiredToken):
        read_token(KEY, unsubscribe, SENT + UNSUBSCRIBE_LIFETIME)


@pytest.mark.parametrize("target", [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/",
    "/relative/path",
    "https://",
    "https://shop.example/\nLocation: x",
])  # fmt: skip
def test_only_http_targets_can_be_signed(target: str) -> None:
    with pytest.raises(UnsafeLink):
        make_token(KEY, "d-1", "m-1", target, issued_at=SENT)
    with pytest.raises(UnsafeLink):
        Tracker(KEY, "https://hooks.shop.example/t/").click_url("d-1", "m-1", target, SENT)


def _signed(payload: list[object]) -> str:
    """A token signed with the right key around content make_token would never sign."""
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{raw}.{_sign(KEY, raw)}"


@pytest.mark.parametrize("payload", [
    ["t", "d-1", "m-1", "javascript:alert(1)", 2_000_000_000],
    ["t", "d-1", "m-1", "data:text/html,x", 2_000_000_000],
    ["u", "d-1", "m-1", "carrier-pigeon", 2_000_000_000],
    ["x", "d-1", "m-1", "https://shop.example/", 2_000_000_000],
    ["t", "d-1", "m-1", "https://shop.example/"],               # no expiry (old format)
    ["t", "d-1", "m-1", "https://shop.example/", "2040-01-01"],
    ["t", "d-1", "m-1", "https://shop.example/", 10**20],
])  # fmt: skip
def test_a_validly_signed_token_naming_something_no_link_may_do_is_refused(
    payload: list[object],
) -> None:
    with pytest.raises(BadToken) as refused:
        read_token(KEY, _signed(payload), LATER)
    assert not isinstance(refused.value, ExpiredToken)


def test_an_unsubscribe_names_a_known_channel() -> None:
    with pytest.raises(UnsafeLink):
        make_token(KEY, "d-1", "m-1", "pager", "u", issued_at=SENT)


def test_tracker_builds_click_and_unsubscribe_urls_on_the_base() -> None:
    tracker = Tracker(KEY, "https://hooks.shop.example/t/")
    click = tracker.click_url("d-1", "m-1", "https://shop.example/", SENT)
    unsubscribe = tracker.unsubscribe_url("d-1", "m-1", "email", SENT)
    assert click.startswith("https://hooks.shop.example/t/")
    assert unsubscribe.startswith("https://hooks.shop.example/u/")
    link = read_token(KEY, unsubscribe.rsplit("/", 1)[1], LATER)
    assert (link.kind, link.url) == ("u", "email")
    assert link.expires == SENT + UNSUBSCRIBE_LIFETIME


def test_a_template_tracking_a_javascript_link_fails_to_render() -> None:
    tracker = Tracker(KEY, "https://hooks.shop.example/t/")
    context = RenderContext(
        variables={},
        track=lambda url: tracker.click_url("d-1", "m-1", url, SENT),
        unsubscribe_url=lambda channel: tracker.unsubscribe_url("d-1", "m-1", channel, SENT),
    )
    evil = Template.model_validate({"id": "t", "line": {"text": "{{ track('javascript:alert(1)') }}"}})  # fmt: skip
    with pytest.raises(RenderError, match="UnsafeLink"):
        Renderer().render(evil, "line", context)
    fine = Template.model_validate({"id": "t", "line": {"text": "{{ track('https://shop.example/') }}"}})  # fmt: skip
    assert Renderer().render(fine, "line", context).text.startswith("https://hooks.shop.example/t/")  # type: ignore[union-attr]
