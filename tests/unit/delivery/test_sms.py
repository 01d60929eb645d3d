"""SMS segment counting: GSM-7 160/153, UCS-2 70/67."""

from __future__ import annotations

import pytest

from kairos.delivery.sms import measure


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),  # 2 × 153
        ("a" * 307, "GSM-7", 3),
        ("早" * 70, "UCS-2", 1),
        ("早" * 71, "UCS-2", 2),
        ("早" * 134, "UCS-2", 2),  # 2 × 67
        ("早" * 135, "UCS-2", 3),
        ("a" * 159 + "€", "GSM-7", 2),  # € is an extension character: two septets
        ("a" * 69 + "早", "UCS-2", 1),  # one Chinese character makes the whole text UCS-2
        ("😀" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_segments(text: str, encoding: str, segments: int) -> None:
    # Given a text / When it is measured / Then encoding and segments are what carriers bill
    size = measure(text)
    assert (size.encoding, size.segments) == (encoding, segments)


def test_chinese_coupon_text_costs_two_segments() -> None:
    text = "王小姐，早安！送你 30 元早餐折價券，本週六前到店出示即可使用。" * 2
    size = measure(text)
    assert size.encoding == "UCS-2"
    assert size.units == len(text)
    assert size.segments == -(-len(text) // 67)
