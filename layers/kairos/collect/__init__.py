"""The website snippet (`kairos.js`) the stack serves at `GET /collect/kairos.js`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SNIPPET = Path(__file__).with_name("kairos.js")


@cache
def snippet() -> str:
    return SNIPPET.read_text(encoding="utf-8")
