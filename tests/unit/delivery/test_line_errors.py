"""How LINE's answers map onto retry, fail, or next channel."""

from __future__ import annotations

import json

import pytest
from linebot.v3.messaging.exceptions import ApiException

from kairos.delivery.channels.line import classify
from kairos.delivery.channels.line_answers import retry_key
from kairos.delivery.model import MonthlyLimit, Rejected, Throttled, Transient


def error(status: int, body: dict[str, object]) -> ApiException:
    exc = ApiException(status=status, reason="x")
    exc.body = json.dumps(body)
    return exc


@pytest.mark.parametrize(("status", "body", "kind"), [
    (429, {"message": "Too Many Requests"}, Throttled),
    (429, {"message": "You have reached your monthly limit."}, MonthlyLimit),
    (500, {"message": "Internal"}, Transient),
    (503, {}, Transient),
    (400, {"message": "The request body has 1 error(s)", "details": [{"message": "May not be empty", "property": "messages[0].text"}]}, Rejected),
    (401, {"message": "Authentication failed"}, Rejected),
])  # fmt: skip
def test_classify(status: int, body: dict[str, object], kind: type) -> None:
    assert isinstance(classify(error(status, body)), kind)


def test_a_rejection_names_the_property() -> None:
    got = classify(error(400, {"message": "bad", "details": [{"message": "May not be empty", "property": "messages[0].text"}]}))  # fmt: skip
    assert "messages[0].text" in got.reason


def test_retry_keys_are_uuids_that_depend_only_on_the_deliveries() -> None:
    assert retry_key(["d-2", "d-1"]) == retry_key(["d-1", "d-2"]) != retry_key(["d-1"])
    assert len(retry_key(["d-1"])) == 36
