"""Exported CSV cells are safe to open in a spreadsheet, and import reads them back."""

from __future__ import annotations

import pytest

from kairos.members.export import member_row, safe_cell, unsafe_cell
from kairos.models.member import Member


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x","click")', "@SUM(A1:A9)", "+A1", "-2+3", "\tcmd", "\r=1", "-"],
)
def test_values_a_spreadsheet_would_run_are_quoted_and_come_back(value: str) -> None:
    cell = safe_cell(value)
    assert cell == "'" + value
    assert unsafe_cell(cell) == value


@pytest.mark.parametrize(
    "value", ["+886 912-345-678", "-120", "12.5", "2026-03-01", "Amy", "'quoted already", ""]
)
def test_data_that_only_looks_like_a_formula_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value
    assert unsafe_cell(value) == value


def test_a_members_row_protects_every_text_cell() -> None:
    member = Member(
        member_id="m-1",
        identifiers={"phone": "+886912345678", "email": "=x@example.com"},
        profile={"name": "=cmd|' /C calc'!A0", "city": "Taipei"},
        tags=["@vip"],
    )
    row = member_row(member)
    assert row["phone"] == "+886912345678"
    assert row["email"] == "'=x@example.com"
    assert row["name"].startswith("'=")
    assert row["city"] == "Taipei"
    assert row["tags"] == "'@vip"
