"""Tracked and unsubscribe links: signed, compact, unforgeable."""

from __future__ import annotations

import pytest

from kairos.delivery.tracking import BadToken, Tracker, make_token, read_token

KEY = b"k" * 32


def test_a_token_reads_back_what_it_was_made_from() -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/c/30?x=1&y=早")
    link = read_token(KEY, token)
    assert (link.kind, link.delivery_id, link.member_id, link.url) == (
        "t", "d-1", "m-1", "https://shop.example/c/30?x=1&y=早",
    )  # fmt: skip
    assert "/" not in token and "+" not in token and "=" not in token  # url-safe as is


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
    lambda t: "x" + t,                                 # payload changed
    lambda t: t.replace(".", ""),                      # no separator
    lambda t: "",
])  # fmt: skip
def test_a_tampered_token_is_refused(mangle: object) -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/")
    with pytest.raises(BadToken):
        read_token(KEY, mangle(token))  # type: ignore[operator]


def test_another_key_does_not_read_it() -> None:
    token = make_token(KEY, "d-1", "m-1", "https://shop.example/")
    with pytest.raises(BadToken):
        read_token(b"other", token)


def test_tracker_builds_click_and_unsubscribe_urls_on_the_base() -> None:
    tracker = Tracker(KEY, "https://hooks.shop.example/t/")
    click = tracker.click_url("d-1", "m-1", "https://shop.example/")
    unsubscribe = tracker.unsubscribe_url("d-1", "m-1", "email")
    assert click.startswith("https://hooks.shop.example/t/")
    assert unsubscribe.startswith("https://hooks.shop.example/u/")
    link = read_token(KEY, unsubscribe.rsplit("/", 1)[1])
    assert (link.kind, link.url) == ("u", "email")
