"""Linking members to rich menus in bulk: packing 500 a message, a bulk request partly
failing (only its own messages come back), a menu not deployed, and a blocked member
left alone."""

from __future__ import annotations

import json
from typing import Any

from kairos.delivery.menu_links import MenuLinker
from kairos.models.richmenu import Binding
from kairos.richmenus.api import LineApi
from kairos.richmenus.binding import LinkChange, bound_menu, link_change
from kairos.richmenus.links import MenuLinks, pack, split_menu_links
from kairos_dev.local.fake_line import FakeLine


class NoLimit:
    def acquire(self, endpoint: str, rate: float, want: int = 1) -> None:
        pass

    def release_unused(self) -> None:
        pass


def channel(*menus: str) -> tuple[FakeLine, MenuLinker]:
    fake = FakeLine(token="t", rates={"push": None, "multicast": None})

    def transport(method: str, path: str, body: bytes, content_type: str) -> Any:
        return fake.rest(method, path, {"Authorization": "Bearer t"}, body)

    api = LineApi(transport)
    for menu in menus:
        body = {"size": {"width": 2500, "height": 843}, "selected": False, "name": menu,
                "chatBarText": "m", "areas": [{"bounds": {"x": 0, "y": 0, "width": 9,
                "height": 9}, "action": {"type": "message", "text": "a"}}]}  # fmt: skip
        line_id = api.create_menu(body)
        api.upload_image(line_id, b"\x89PNG....", "image/png")
        api.set_alias(menu, line_id)
    return fake, MenuLinker(api, NoLimit, rate_per_second=100)  # type: ignore[arg-type]


def records(messages: list[MenuLinks]) -> list[dict[str, Any]]:
    return [{"messageId": f"m{i}", "body": m.model_dump_json()} for i, m in enumerate(messages)]


def test_changes_pack_into_messages_of_500_and_the_last_change_wins() -> None:
    changes = [LinkChange(f"m{i}", f"U{i}", "vip-menu") for i in range(1200)]
    changes.append(LinkChange("m3", "U3", None))  # U3 left the segment again
    messages = pack(changes)
    assert [(m.menu, len(m.users)) for m in messages] == [
        ("vip-menu", 500), ("vip-menu", 500), ("vip-menu", 199), (None, 1),
    ]  # fmt: skip


def test_a_bulk_link_partly_failing_returns_only_its_own_messages() -> None:
    # Given 1,200 members to link in three messages, and LINE failing the first request
    fake, linker = channel("vip-menu")
    messages = pack([LinkChange(f"m{i}", f"U{i}", "vip-menu") for i in range(1200)])
    fake.menus.inject_bulk_error(500, times=1)
    # When the sender delivers them
    report = linker.deliver(records(messages))
    # Then the two other requests linked their 700 members; only the failed request's
    # message comes back (reported failed), and delivering it again links the rest
    assert report.failed == ["m0"] and report.requests == 2
    assert len(fake.menus.links) == 700
    again = linker.deliver(records(messages)[:1])
    assert again.failed == [] and len(fake.menus.links) == 1200
    assert [n for _, n in fake.menus.bulk_requests] == [500, 200, 500]


def test_messages_of_one_batch_share_requests_up_to_500_users() -> None:
    fake, linker = channel("vip-menu")
    small = [MenuLinks(menu="vip-menu", users=[f"U{m}-{i}" for i in range(100)]) for m in range(7)]
    report = linker.deliver(records(small))
    assert report.requests == 2 and [n for _, n in fake.menus.bulk_requests] == [500, 200]


def test_a_throttled_request_comes_back_and_a_refused_one_is_dropped() -> None:
    fake, linker = channel("vip-menu")
    fake.menus.inject_bulk_error(429, times=1)
    throttled = linker.deliver(records([MenuLinks(menu="vip-menu", users=["U1"])]))
    assert throttled.failed == ["m0"]
    not_deployed = linker.deliver(records([MenuLinks(menu="gold-menu", users=["U1"])]))
    assert not_deployed.failed == [] and not_deployed.refused == 1


def test_line_skips_users_it_cannot_link_and_unlink_restores_the_default() -> None:
    fake, linker = channel("vip-menu")
    fake.menus.blocked.add("U2")
    linker.deliver(records([MenuLinks(menu="vip-menu", users=["U1", "U2"])]))
    assert set(fake.menus.links) == {"U1"}
    linker.deliver(records([MenuLinks(menu=None, users=["U1"])]))
    assert fake.menus.links == {}


def test_a_blocked_member_is_left_alone_and_an_unblocked_one_gets_their_menu() -> None:
    bindings = [Binding(segment="vip", menu="vip-menu"), Binding(tag="new", menu="new-menu"),
                Binding(menu="default")]  # fmt: skip
    assert bound_menu(bindings, {"vip"}, ["new"]) == "vip-menu"  # first match wins
    assert bound_menu(bindings, set(), ["new"]) == "new-menu"
    assert bound_menu(bindings, set(), []) is None  # the channel's default
    # Blocked: no link asked for, whatever changed
    assert link_change("m1", "U1", False, None, "vip-menu") is None
    # Unblocked (follow again) with a bound menu: linked again though the menu is the same
    assert link_change("m1", "U1", True, "vip-menu", "vip-menu", refollowed=True) == LinkChange(
        "m1", "U1", "vip-menu"
    )
    assert link_change("m1", "U1", True, "vip-menu", "vip-menu") is None
    assert link_change("m1", None, True, None, "vip-menu") is None  # no LINE id


def test_menu_links_are_told_apart_from_send_requests_on_the_line_queue() -> None:
    send = {"messageId": "s", "body": json.dumps({"v": 1, "delivery_id": "d"})}
    link = {"messageId": "l", "body": MenuLinks(menu=None, users=["U1"]).model_dump_json()}
    links, rest = split_menu_links({"Records": [send, link]})
    assert links == [link] and rest["Records"] == [send]
