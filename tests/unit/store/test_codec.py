"""The hand-written codec writes what boto3's serializer writes and reads it back as the
domain expects (whole numbers as int, 0.1 as 0.1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from kairos.store.codec import from_item, to_attr, to_item

VALUES: list[Any] = [
    "台北", "", 0, -7, 10**30, 1.5, 0.1, 1e-7, 1160.0, True, False, None,
    {"a": [1, "b", {"c": None}]}, [], {}, {"x", "y"}, b"\x00\x01", Decimal("3.14"),
]  # fmt: skip


def name(value: Any) -> str:
    """A stable test id (a set's repr changes from one process to the next)."""
    return repr(sorted(value)) if isinstance(value, set) else repr(value)


@pytest.mark.parametrize("value", VALUES, ids=name)
def test_writes_what_boto3_writes(value: Any) -> None:
    expected = TypeSerializer().serialize(
        Decimal(str(value)) if isinstance(value, float) else value
    )
    ours = to_attr(value)
    if "SS" in expected:
        assert sorted(ours["SS"]) == sorted(expected["SS"])
    else:
        assert ours == expected


@pytest.mark.parametrize("value", VALUES, ids=name)
def test_reads_back_as_the_domain_expects(value: Any) -> None:
    back = from_item({"v": to_attr(value)})["v"]
    expected = TypeDeserializer().deserialize(to_attr(value))
    if isinstance(value, float):
        assert back == value and (isinstance(back, int) == value.is_integer())
    elif isinstance(value, set):
        assert back == sorted(value)
    elif isinstance(value, Decimal):
        assert back == float(value)
    elif isinstance(value, bytes):
        assert back == value
    else:
        assert back == (expected if not isinstance(expected, Decimal) else int(expected))


def test_none_values_are_left_out_of_items() -> None:
    assert to_item({"a": 1, "b": None}) == {"a": {"N": "1"}}


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), Decimal("1e400"), 10**40])
def test_numbers_dynamodb_cannot_hold_are_refused(bad: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017 - boto3 raises TypeError or decimal signals
        to_attr(bad)


def test_other_types_are_refused() -> None:
    with pytest.raises(TypeError):
        to_attr(object())
