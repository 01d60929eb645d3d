"""A body's strings must be text an item can hold: a lone surrogate escape (a hostile
LINE display name, a broken client) is a 400 naming the problem, never a 500 that the
sender retries forever."""

from __future__ import annotations

import json

import pytest

from kairos.ingest.body import load_json
from kairos.ingest.errors import InvalidBody


def test_a_lone_surrogate_escape_is_refused_as_bad_input() -> None:
    with pytest.raises(InvalidBody, match="lone surrogate"):
        load_json(b'{"data": {"name": "\\ud800x"}}')


def test_escaped_text_and_emoji_pairs_are_text() -> None:
    body = json.dumps({"name": "陳小美 👩‍👩‍👧 \u0007"}).encode()  # ASCII escapes, pairs for emoji
    assert load_json(body) == {"name": "陳小美 👩‍👩‍👧 \u0007"}
