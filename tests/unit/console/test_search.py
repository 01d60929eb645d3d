"""Member search: what one box understands, and in which order it answers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kairos.console.search import SearchPage, candidates, search
from kairos.members.service import InvalidRequest
from kairos.models.names import name_key
from kairos.models.phones import taiwan_phone


class FakeIndex:
    """Identifiers and names in memory, answering as the store's index does."""

    def __init__(self) -> None:
        self.aliases: dict[tuple[str, str], str] = {}
        self.members: set[str] = set()
        self.names: list[tuple[str, str]] = []
        self.joined: list[tuple[str, str]] = []

    def add(self, member_id: str, name: str, joined: str, **identifiers: str) -> None:
        self.members.add(member_id)
        for kind, value in identifiers.items():
            self.aliases[(kind, value)] = member_id
        key = name_key(name)
        if key:
            self.names.append((f"{key}#{member_id}", member_id))
            self.names.sort()
        self.joined.append((f"{joined}#{member_id}", member_id))
        self.joined.sort(reverse=True)

    def holders(
        self, identifiers: Sequence[tuple[str, str]], member_ids: Sequence[str]
    ) -> list[str]:
        found = [self.aliases[i] for i in identifiers if i in self.aliases]
        found += [m for m in member_ids if m in self.members]
        return list(dict.fromkeys(found))

    def name_prefix(
        self, prefix: str, *, limit: int, after: str | None
    ) -> tuple[list[str], str | None]:
        rows = [
            r for r in self.names if r[0].startswith(prefix) and (after is None or r[0] > after)
        ]
        page = rows[:limit]
        return [m for _, m in page], (page[-1][0] if len(rows) > limit else None)

    def newest(self, *, limit: int, before: str | None) -> tuple[list[str], str | None]:
        rows = [r for r in self.joined if before is None or r[0] < before]
        page = rows[:limit]
        return [m for _, m in page], (page[-1][0] if len(rows) > limit else None)


@pytest.mark.parametrize(
    "typed",
    ["0912-345-678", "0912345678", "+886 912 345 678", "886912345678", "０９１２３４５６７８",
     "+886 0912 345 678", "912345678"],
)  # fmt: skip
def test_a_mobile_number_as_people_write_it_in_taiwan(typed: str) -> None:
    assert taiwan_phone(typed) == "+886912345678"


def test_a_landline_with_its_area_code_in_brackets() -> None:
    assert taiwan_phone("(02) 2345-6789") == "+886223456789"


@pytest.mark.parametrize("typed", ["陳小美", "amy@example.com", "12", "+1"])
def test_what_is_no_phone_number(typed: str) -> None:
    assert taiwan_phone(typed) is None


def test_an_email_is_looked_up_in_lower_case() -> None:
    _, identifiers = candidates("Amy@Example.COM")
    assert ("email", "amy@example.com") in identifiers


@pytest.fixture
def index() -> FakeIndex:
    index = FakeIndex()
    index.add("m-1", "陳小美", "2026-01-01", phone="+886912345678", email="mei@example.com")
    index.add("m-2", "陳大文", "2026-02-01", line_user_id="U" + "a" * 32)
    index.add("m-3", "Amy Chen", "2026-03-01", external_id="crm-42")
    index.add("m-4", "林志玲", "2026-04-01")
    return index


@pytest.mark.parametrize(
    ("typed", "member"),
    [("0912-345-678", "m-1"), ("MEI@example.com", "m-1"), ("U" + "a" * 32, "m-2"),
     ("crm-42", "m-3"), ("m-4", "m-4")],
)  # fmt: skip
def test_any_identifier_finds_its_member(index: FakeIndex, typed: str, member: str) -> None:
    assert search(index, typed, limit=10).member_ids == [member]


def test_a_name_prefix_finds_every_name_starting_so_in_name_order(index: FakeIndex) -> None:
    assert search(index, "陳", limit=10).member_ids == ["m-2", "m-1"]
    assert search(index, "amy c", limit=10).member_ids == ["m-3"]
    assert search(index, "ＡＭＹ", limit=10).member_ids == ["m-3"]


def test_exact_identifiers_come_before_name_matches(index: FakeIndex) -> None:
    index.add("m-5", "m-4 fan club", "2026-05-01")
    assert search(index, "m-4", limit=10).member_ids == ["m-4", "m-5"]


def test_name_matches_page_with_the_cursor(index: FakeIndex) -> None:
    first = search(index, "陳", limit=1)
    assert first.member_ids == ["m-2"] and first.next
    second = search(index, "陳", limit=1, cursor=first.next)
    assert second == SearchPage(["m-1"], None)


def test_a_cursor_from_another_search_is_refused(index: FakeIndex) -> None:
    first = search(index, "陳", limit=1)
    with pytest.raises(InvalidRequest):
        search(index, "林", limit=1, cursor=first.next)
    with pytest.raises(InvalidRequest):
        search(index, "林", limit=1, cursor="not a cursor!")


def test_an_empty_box_lists_the_newest_members_first(index: FakeIndex) -> None:
    first = search(index, "  ", limit=3)
    assert first.member_ids == ["m-4", "m-3", "m-2"]
    assert search(index, "", limit=3, cursor=first.next).member_ids == ["m-1"]


@pytest.mark.parametrize("hostile", ["\x00\x1b[31m", "a" * 10_000, "👩‍👩‍👧" * 50, "\ud800x"])
def test_hostile_text_finds_nothing_and_breaks_nothing(index: FakeIndex, hostile: str) -> None:
    assert search(index, hostile, limit=10).member_ids == []


def test_a_limit_out_of_range_is_the_callers_to_correct(index: FakeIndex) -> None:
    with pytest.raises(InvalidRequest):
        search(index, "陳", limit=0)


def test_a_page_full_of_exact_matches_leaves_the_names_for_the_next(index: FakeIndex) -> None:
    index.add("m-5", "m-4 fan club", "2026-05-01")
    first = search(index, "m-4", limit=1)
    assert first.member_ids == ["m-4"] and first.next
    assert search(index, "m-4", limit=1, cursor=first.next) == SearchPage(["m-5"], None)
