from __future__ import annotations

from kairos.ingest.identity import event_identifiers, new_member_id, resolve
from kairos.models.events import CanonicalEvent


def test_unknown_identifiers_create_one_member_deterministically() -> None:
    ids = {"line_user_id": "U1", "email": "a@b.co"}
    first = resolve(ids, known={})
    assert first.is_new and first.link == ids
    assert first.member_id == new_member_id(ids) == resolve(ids, known={}).member_id


def test_a_known_identifier_links_the_new_one_to_its_member() -> None:
    resolution = resolve({"line_user_id": "U1", "email": "a@b.co"}, known={"email": "m-1"})
    assert (resolution.member_id, resolution.is_new) == ("m-1", False)
    assert resolution.link == {"line_user_id": "U1"}
    assert resolution.conflicts == {}


def test_two_members_are_never_merged_silently() -> None:
    resolution = resolve(
        {"line_user_id": "U1", "email": "a@b.co"},
        known={"line_user_id": "m-line", "email": "m-mail"},
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
