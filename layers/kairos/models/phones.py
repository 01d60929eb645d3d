"""Phone numbers as people write them in Taiwan, read into E.164: what staff type in
the console's search box and what a brand's spreadsheet holds (`0912-345-678`,
`0912345678`, `+886 912 345 678`, `886912345678`, `(02) 2345-6789`, full-width digits).
Events from systems keep the strict E.164 of kairos.models.events.phone_number."""

from __future__ import annotations

import re
import unicodedata

from kairos.models.events import phone_number

DEFAULT_COUNTRY_CODE = "886"
"""Kairos serves Taiwanese brands and their settings name no country: a phone typed
without one is a Taiwanese number."""

_PHONE_PUNCTUATION = re.compile(r"[\s().\-‐‑–—/]")
_DIGITS = re.compile(r"\+?[0-9]{6,16}")


def taiwan_phone(text: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str | None:
    """The E.164 form of a phone number as people write it (see the module), or None."""
    compact = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))
    if not _DIGITS.fullmatch(compact):
        return None
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith(country_code):
        digits = compact
    elif compact.startswith("0"):
        digits = country_code + compact[1:]
    else:
        digits = country_code + compact
    if digits.startswith(country_code + "0"):
        digits = country_code + digits[len(country_code) + 1 :]  # `+886 0912…`
    try:
        return phone_number("+" + digits)
    except ValueError:
        return None
