from __future__ import annotations

import pytest

from kairos.ingest.errors import InvalidSignature
from kairos.ingest.signatures import (
    sign_kairos,
    sign_line,
    verify_kairos,
    verify_line,
    verify_shopify,
)

BODY = b'{"events":[]}'


def test_line_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    # Known answer computed independently: HMAC-SHA256("secret", body), base64.
    assert sign_line(BODY, "secret") == "pkK1lVPJPiJ+wPLziRD79xIxohl8AImYM8AEeM7IbzQ="
    verify_line(BODY, sign_line(BODY, "secret"), "secret")


def test_kairos_signature_is_prefixed_hex() -> None:
    signature = sign_kairos(BODY, "k")
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    verify_kairos(BODY, signature, "k")


@pytest.mark.parametrize("header", [None, "", "sha256=00", "garbage"])
def test_missing_or_wrong_kairos_signature_is_refused(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_kairos(BODY, header, "k")


def test_a_changed_body_fails_verification() -> None:
    signature = sign_line(BODY, "secret")
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_line(BODY + b" ", signature, "secret")


def test_shopify_uses_its_own_header_name_in_errors() -> None:
    with pytest.raises(InvalidSignature, match="X-Shopify-Hmac-Sha256"):
        verify_shopify(BODY, None, "k")
