"""The console import's reading of a file: which encoding it is in (UTF-8, UTF-8 with a
byte order mark, Big5 as Excel in Taiwan writes it; others refused, saying why), which
of its columns mean what, and the first rows with their problems."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from kairos.console.imports import detect_encoding, preview, suggest_mapping
from kairos.members.import_rows import row_events
from kairos.members.service import InvalidRequest

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TEXT = "姓名,手機,電子郵件,標籤\n陳小美,+886912345678,mei@example.com,vip;新客\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("big5"), "big5"),
        (b"email\nana@example.com\n", "utf-8"),
        # A head cut inside a character is still UTF-8.
        ("email,name\na@b.c,陳".encode()[:-1], "utf-8"),
    ],
)
def test_the_encodings_people_save_in_are_recognised(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        "name,city\nZoë,Köln\nRenée,Zürich\n".encode("latin-1"),
        "名前,メール\nさくら,sakura@example.jp\n".encode("shift_jis"),
    ],
)
def test_other_encodings_are_refused_with_what_to_do(data: bytes) -> None:
    with pytest.raises(InvalidRequest, match=r"neither UTF-8 nor Big5.*CSV UTF-8"):
        detect_encoding(data)


def test_columns_named_in_chinese_or_english_are_mapped() -> None:
    assert suggest_mapping(["姓名", "手機", "E-mail", "會員編號", "標籤", "備註"]) == {
        "name": "姓名", "phone": "手機", "email": "E-mail", "external_id": "會員編號",
        "tags": "標籤",
    }  # fmt: skip
    # A column already named as Kairos names it needs no mapping.
    assert suggest_mapping(["email", "phone"]) == {}


def test_a_big5_preview_shows_rows_and_names_each_problem() -> None:
    text = TEXT + "林大明,+886933111222,not-an-email,\n王五,,,\n"
    result = preview(text.encode("big5"), {}, NOW)
    assert result.encoding == "big5"
    assert result.columns == ["姓名", "手機", "電子郵件", "標籤"]
    assert result.mapping == {"name": "姓名", "phone": "手機", "email": "電子郵件", "tags": "標籤"}
    assert [r.values["姓名"] for r in result.rows] == ["陳小美", "林大明", "王五"]
    problems = {p.line: (p.column, p.reason) for p in result.problems}
    assert set(problems) == {3, 4}
    assert problems[3] == ("電子郵件", "Value error, not an email address")
    assert "at least one of" in problems[4][1]


def test_a_preview_head_ending_mid_record_shows_only_whole_records() -> None:
    head = (TEXT + "林大明,0933").encode()
    assert [r.line for r in preview(head, {}, NOW).rows] == [2]


def test_a_mapping_naming_a_missing_column_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="mapping names columns the file does not have"):
        preview(TEXT.encode(), {"mapping": "email=Mail"}, NOW)


def test_a_chunks_kept_rejects_stay_within_one_item() -> None:
    from kairos.console.imports import REJECT_BYTES, _kept_rejects
    from kairos.members.import_rows import Reject

    long_rows = [Reject(n, "email", "not an email", {"note": "字" * 2000}) for n in range(2, 200)]
    kept = _kept_rejects(long_rows)
    assert 0 < len(kept) < len(long_rows)
    assert len(json.dumps(kept, ensure_ascii=False).encode()) <= REJECT_BYTES
    assert [k["line"] for k in kept] == list(range(2, 2 + len(kept)))


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0911-222-333", "+886911222333"),
        ("0911222333", "+886911222333"),
        ("+886 911 222 333", "+886911222333"),
        ("(02) 2345-6789", "+886223456789"),
    ],
)
def test_a_rows_phone_is_read_as_people_write_it_in_taiwan(written: str, stored: str) -> None:
    # Given a spreadsheet row with the phone as the brand's staff typed it
    row = {"name": "林怡君", "email": "yijun@example.com", "phone": written}
    # When it becomes events
    events = row_events(row, "members.csv", 2, datetime(2026, 12, 7, tzinfo=UTC))
    # Then the member is named by the phone's E.164 form
    assert events[0].member.phone == stored


def test_a_rows_phone_that_is_no_number_still_sets_the_row_aside() -> None:
    with pytest.raises(ValidationError, match="phone"):
        row_events({"phone": "call me"}, "members.csv", 2, datetime(2026, 12, 7, tzinfo=UTC))
