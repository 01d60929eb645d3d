"""Name keys: one normal form for what is indexed and what is typed."""

from __future__ import annotations

from kairos.models.names import NAME_KEY_CHARS, member_name_keys, name_key


def test_full_width_and_case_are_folded() -> None:
    assert name_key("ＡＭＹ  Chen") == "amy chen"


def test_control_and_invisible_characters_are_dropped() -> None:
    assert name_key("陳\x00小\u200b美\x1b") == "陳小美"
    assert name_key("\x00\x07 \t") is None
    assert name_key("\ud800") is None


def test_a_long_name_makes_a_bounded_key() -> None:
    key = name_key("長" * 10_000)
    assert key is not None and len(key) == NAME_KEY_CHARS


def test_a_member_is_found_by_its_name_and_its_line_display_name_once_each() -> None:
    profile = {"name": "陳小美", "line_display_name": "Mei 🌸", "gender": "female"}
    assert member_name_keys(profile) == ["陳小美", "mei 🌸"]
    assert member_name_keys({"name": "Mei", "line_display_name": "MEI"}) == ["mei"]
    assert member_name_keys({"name": 42}) == []


def test_a_name_the_other_starts_with_needs_no_entry_of_its_own() -> None:
    assert member_name_keys({"name": "Mei", "line_display_name": "Mei Chen"}) == ["mei chen"]
