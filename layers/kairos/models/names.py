"""Member names as search matches them: one normal form for what ingest indexes and
what staff type in the console's search box.

A name key is the name in Unicode NFKC (full-width letters and digits become their
ordinary forms), case-folded, with control, format and lone surrogate characters
removed, runs of white space made one space, trimmed, and cut to `NAME_KEY_CHARS`
characters: so `陳` finds `陳小美`, `AMY` finds `amy chen`, and a 10,000-character or
hostile name still makes a small, valid key (or none at all).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

NAME_KEY_CHARS = 40
"""Longer names are indexed by their first 40 characters; a search typed longer is cut
the same way, so it still matches."""

NAME_FIELDS = ("name", "line_display_name")
"""The profile fields a member can be found by: the name the brand knows, and the name
the member shows on LINE."""

_RAW_CHARS = 4 * NAME_KEY_CHARS
"""How much of a raw name is normalised (NFKC and folding may grow or shrink text, and
stripped characters shrink it): a bound on the work a 10,000-character name costs."""

_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACE = re.compile(r"\s+")


def name_key(text: object) -> str | None:
    """The searchable form of a name (see the module), None when nothing is left."""
    if not isinstance(text, str):
        return None
    raw = text[:_RAW_CHARS]
    folded = unicodedata.normalize("NFKC", raw).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch) not in _DROPPED)
    key = _SPACE.sub(" ", kept).strip()[:NAME_KEY_CHARS].rstrip()
    return key or None


def member_name_keys(profile: Mapping[str, Any]) -> list[str]:
    """The name keys a member is found by, in `NAME_FIELDS` order: distinct, and none
    that another one starts with (`mei` beside `mei chen`: every search finding the
    shorter finds the longer, so one entry is enough and the member is listed once)."""
    found = list(dict.fromkeys(k for f in NAME_FIELDS if (k := name_key(profile.get(f)))))
    return [k for k in found if not any(o != k and o.startswith(k) for o in found)]
