from __future__ import annotations

import hashlib

import pytest

from kairos.ingest.identity import event_identifiers, new_member_id, resolve
from kairos.models.events import CanonicalEvent

KEY = b"brand-member-id-key"


def test_unknown_identifiers_create_one_member_deterministically() -> None:
    ids = {"line_user_id": "U1", "email": "a@b.co"}
    first = resolve(ids, known={}, key=KEY)
    assert first.is_new and first.link == ids
    assert first.member_id == new_member_id(ids, KEY) == resolve(ids, {}, KEY).member_id


def test_member_ids_are_a_keyed_hash_that_logs_cannot_confirm_a_guess_against() -> None:
    ids = {"email": "amy@example.com"}
    member_id = new_member_id(ids, KEY)
    # Not the bare SHA-256 of the identifier (anyone could compute that from a guess) …
    bare = hashlib.sha256(b"email:amy@example.com").hexdigest()
    assert member_id.startswith("m-") and len(member_id) == 22
    assert member_id[2:] != bare[:20]
    assert member_id[2:] not in hashlib.sha256(b"amy@example.com").hexdigest()
    # … and another brand's key gives another id, while the same key gives the same one.
    assert new_member_id(ids, b"another-brand-key") != member_id
    assert new_member_id(dict(ids), KEY) == member_id


def test_member_ids_need_a_key() -> None:
    with pytest.raises(ValueError, match="member_id_key"):
        new_member_id({"email": "amy@example.com"}, b"")


def test_a_known_identifier_links_the_new_one_to_its_member() -> None:
    resolution = resolve({"line_user_id": "U1", "email": "a@b.co"}, known={"email": "m-1"}, key=KEY)
    assert (resolution.member_id, resolution.is_new) == ("m-1", False)
    assert resolution.link == {"line_user_id": "U1"}
    assert resolution.conflicts == {}


def test_two_members_are_never_merged_silently() -> None:
    resolution = resolve(
        {"line_user_id": "U1", "email": "a@b.co"},
        known={"line_user_id": "m-line", "email": "m-mail"},
        key=KEY,
    )
    # The strongest identifier (LINE user id) decides; the email stays with its member.
    assert resolution.member_id == "m-line"
    assert resolution.link == {}
    assert resolution.conflicts == {"email": "m-mail"}


def test_profile_updates_that_set_an_email_link_it() -> None:
    event = CanonicalEvent.model_validate(
        {"id": "e", "type": "profile.updated", "time": "2026-03-01T10:00:00+08:00",
         "member": {"line_user_id": "U1"}, "data": {"email": "Amy@Example.com", "phone": "+886 912-345-678"}}
    )  # fmt: skip
    assert event_identifiers(event) == {
        "line_user_id": "U1",
        "email": "amy@example.com",
        "phone": "+886912345678",
    }
