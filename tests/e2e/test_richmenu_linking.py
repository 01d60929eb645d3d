"""Rich menus follow the member through the whole pipeline (simulator → evaluator →
LINE queue → sender → fake LINE): linked in bulk as members enter a bound segment or
get a bound tag, unlinked (back to the default) as they leave, and a blocked member
left alone (docs/templates.md "Rich menus")."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import yaml

from kairos_dev.local.simulator import Simulation, load_inputs
from tests.e2e.journey_builder import BrandProject, at, event, follow, order
from tests.unit.richmenus.test_richmenu_files import png

MENU = {
    "name": "menu",
    "chat_bar_text": "選單",
    "size": {"width": 2500, "height": 843},
    "areas": [
        {"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
         "action": {"type": "message", "text": "hi"}},
    ],
}  # fmt: skip


def menus_project(tmp_path: Path) -> BrandProject:
    project = BrandProject(
        tmp_path,
        richmenus=[
            {"segment": "vip", "menu": "vip-menu"},
            {"tag": "new-friend", "menu": "welcome-menu"},
            {"menu": "default-menu"},
        ],
    )
    project.segment("vip", {"field": "stats.total_spent", "gte": 3000})
    folder = project.root / "richmenus"
    folder.mkdir()
    for ident in ("vip-menu", "welcome-menu", "default-menu"):
        text = yaml.safe_dump({"id": ident, **MENU}, allow_unicode=True)
        (folder / f"{ident}.yaml").write_text(text, encoding="utf-8")
        (folder / f"{ident}.png").write_bytes(png(2500, 843, [(9, 9, 9)]))
    return project


def run(project: BrandProject, events: list[dict], until: str) -> Simulation:  # type: ignore[type-arg]
    events_file = project.root.parent / "events.jsonl"
    events_file.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    end = datetime.fromisoformat(at(until))
    loaded, start = load_inputs(events_file, end)
    saved = dict(os.environ)
    simulation = Simulation.start(str(project.root), start)
    try:
        simulation.run(loaded, end)
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)
    return simulation


def test_members_are_linked_as_they_enter_and_unlinked_as_they_leave(tmp_path: Path) -> None:
    # Given VIP (3,000 spent) and new-friend bindings, a default, and four friends
    project = menus_project(tmp_path)
    events = [follow(u, "2026-03-01T10:00") for u in ("U-vip", "U-gone", "U-new", "U-blocked")]
    events += [
        event("tag.added", "2026-03-01T11:00", "U-new", {"tag": "new-friend"}),
        event("line.unfollow", "2026-03-01T11:00", "U-blocked"),
        order("U-vip", "2026-03-02T10:00", total=3500),
        order("U-gone", "2026-03-02T10:00", total=3200, order_id="G1"),
        order("U-blocked", "2026-03-02T10:00", total=5000),
        event("order.cancelled", "2026-03-03T10:00", "U-gone", {"order_id": "G1"}),
    ]
    # When the month runs
    simulation = run(project, events, "2026-03-05")
    fake = simulation._fake_line
    assert fake is not None
    menus = fake.menus
    alias = menus.aliases
    # Then the VIP sees the VIP menu, the new friend the welcome menu; the member who
    # left the segment is back on the default (unlinked); the blocked member was never
    # asked for, and the default is the channel's
    assert menus.links == {"U-vip": alias["vip-menu"], "U-new": alias["welcome-menu"]}
    assert menus.default == alias["default-menu"]
    linked_or_unlinked = sum(n for _, n in menus.bulk_requests)
    assert linked_or_unlinked == 4  # U-vip, U-new, U-gone in, U-gone out; never U-blocked
    assert all(kind in ("link", "unlink") for kind, _ in menus.bulk_requests)


def test_a_journey_step_sets_a_menu_and_the_defaults_id_unlinks(tmp_path: Path) -> None:
    # Given a quiz journey that shows the welcome menu on follow and the default a day on
    project = menus_project(tmp_path)
    project.journey("""
        id: menu-tour
        trigger: {event: line.follow}
        steps:
          - {id: show, richmenu: welcome-menu}
          - {wait: {days: 1}}
          - {id: back, richmenu: default-menu}
    """)
    # When a friend follows and the first day passes, another follows late
    events = [follow("U-1", "2026-03-01T10:00"), follow("U-2", "2026-03-02T09:00")]
    simulation = run(project, events, "2026-03-02T12:00")
    fake = simulation._fake_line
    assert fake is not None
    # Then U-1 is back on the default (linked, then unlinked), U-2 still sees the menu
    assert fake.menus.links == {"U-2": fake.menus.aliases["welcome-menu"]}
    assert [kind for kind, _ in fake.menus.bulk_requests].count("unlink") == 1


def test_a_richmenu_step_must_name_a_menu_of_the_project(tmp_path: Path) -> None:
    from kairos.project import ProjectError, load_project

    project = menus_project(tmp_path)
    project.journey("""
        id: menu-tour
        trigger: {event: line.follow}
        steps:
          - {id: show, richmenu: gold-menu}
    """)
    try:
        load_project(project.root)
    except ProjectError as exc:
        assert "journeys/menu-tour.yaml:5: step show: richmenu: no rich menu 'gold-menu' in " \
            "richmenus/" in str(exc)  # fmt: skip
    else:
        raise AssertionError("a missing menu must not validate")
