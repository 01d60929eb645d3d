"""Rich menus as project files: `kairos validate` names the file, the field and the
reason; `kairos richmenus deploy` is idempotent against the fake LINE."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kairos.project import ProjectError, load_project
from kairos.richmenus.api import LineApi
from kairos.richmenus.binding import default_menu
from kairos.richmenus.deploy import deploy
from kairos_dev.local.fake_line import FakeLine

EXAMPLES = Path(__file__).parents[3] / "examples"


def _images_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_images", EXAMPLES / "richmenus/make_images.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


png = _images_module().png
MENU = """\
id: tabs
name: Tabs
chat_bar_text: 選單
size: {width: 2500, height: 843}
areas:
  - bounds: {x: 0, y: 0, width: 1250, height: 843}
    action: {type: message, text: hi}
  - bounds: {x: 1250, y: 0, width: 1250, height: 843}
    action: {type: richmenuswitch, to: tabs, data: tab=2}
"""


def menu_project(tmp_path: Path, text: str, image: bytes | None) -> Path:
    (tmp_path / "richmenus").mkdir()
    (tmp_path / "richmenus" / "tabs.yaml").write_text(text, encoding="utf-8")
    if image is not None:
        (tmp_path / "richmenus" / "tabs.png").write_bytes(image)
    return tmp_path


def problems(root: Path) -> list[str]:
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    return [str(p) for p in caught.value.problems]


def test_a_valid_menu_loads_with_its_image(tmp_path: Path) -> None:
    root = menu_project(tmp_path, MENU, png(2500, 843, [(0, 0, 0)]))
    project = load_project(root)
    assert list(project.richmenus) == ["tabs"]
    assert project.files["richmenu:tabs"] == "richmenus/tabs.yaml"


@pytest.mark.parametrize(
    ("change", "image", "expected"),
    [
        ("", None, "richmenus/tabs.yaml:1: image: no image beside the file"),
        ("", png(2500, 1686, [(0, 0, 0)]), "image: tabs.png is 2500×1686; the menu's size is 2500×843"),
        ("", b"GIF89a....", "image: tabs.png is not a PNG or JPEG"),
        ("width: 1250, height: 843}\n    action: {type: richmenuswitch, to: nowhere",
         png(2500, 843, [(0, 0, 0)]), "areas[1].action.to: no rich menu 'nowhere' in richmenus/"),
        ("width: 1300, height: 843}\n    action: {type: richmenuswitch, to: tabs",
         png(2500, 843, [(0, 0, 0)]), "outside the 2500×843 image"),
    ],
    ids=["no image", "image size", "not an image", "unknown tab", "area outside"],
)  # fmt: skip
def test_validation_names_file_field_and_reason(
    tmp_path: Path, change: str, image: bytes | None, expected: str
) -> None:
    text = MENU
    if change:
        text = text.replace(
            "width: 1250, height: 843}\n    action: {type: richmenuswitch, to: tabs", change
        )
    found = problems(menu_project(tmp_path, text, image))
    assert any(expected in p for p in found), found
    assert all(p.startswith("richmenus/tabs.yaml") for p in found)


def test_chat_bar_text_longer_than_line_allows_is_refused(tmp_path: Path) -> None:
    text = MENU.replace("chat_bar_text: 選單", "chat_bar_text: 這是一段超過十四個字的聊天列文字喔")
    found = problems(menu_project(tmp_path, text, png(2500, 843, [(0, 0, 0)])))
    assert any("chat_bar_text" in p and "14" in p for p in found), found


def test_bindings_name_known_menus_and_segments_default_last(tmp_path: Path) -> None:
    root = menu_project(tmp_path, MENU, png(2500, 843, [(0, 0, 0)]))
    (root / "kairos.yaml").write_text(
        "richmenus:\n  - {menu: tabs}\n  - {segment: vip, menu: gold}\n", encoding="utf-8"
    )
    found = problems(root)
    assert "kairos.yaml: richmenus[1].menu: no rich menu 'gold' in richmenus/" in found
    assert "kairos.yaml: richmenus[1].segment: no segment 'vip' in segments/" in found
    assert any("richmenus[0]: the default menu" in p for p in found)


def fake_api() -> tuple[FakeLine, LineApi]:
    fake = FakeLine(token="t", rates={"push": None, "multicast": None})

    def transport(method: str, path: str, body: bytes, content_type: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        return fake.rest(method, path, {"Authorization": "Bearer t"}, body)

    return fake, LineApi(transport)


def test_deploy_creates_menus_aliases_and_default_then_changes_nothing(tmp_path: Path) -> None:
    # Given the example project's two menus and a channel without any
    project = load_project(EXAMPLES)
    fake, api = fake_api()
    default = default_menu(project.settings.richmenus)
    # When it is deployed twice
    first = deploy(api, project.richmenus, default)
    requests_after_first = api.requests
    second = deploy(api, project.richmenus, default)
    # Then the first run made both menus with their images, aliases (the VIP menu's tab
    # switches to the default menu's alias) and the default; the second changed nothing
    assert sorted(first.created) == ["default-menu", "vip-menu"]
    assert set(fake.menus.aliases) == {"default-menu", "vip-menu"}
    assert fake.menus.default == first.line_ids["default-menu"]
    assert len(fake.menus.images) == 2
    vip = fake.menus.menus[first.line_ids["vip-menu"]]
    assert {"type": "richmenuswitch", "richMenuAliasId": "default-menu", "data": "tab=default",
            "label": "一般選單"} in [a["action"] for a in vip["areas"]]  # fmt: skip
    assert not second.changed and second.line_ids == first.line_ids
    assert len(fake.menus.menus) == 2
    assert api.requests - requests_after_first == 1 + 2 + 1  # list, two aliases, default


def test_a_changed_menu_is_a_new_version_and_prune_removes_the_old(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "p")
    fake, api = fake_api()
    project = load_project(tmp_path / "p")
    first = deploy(api, project.richmenus, "default-menu")
    path = tmp_path / "p" / "richmenus" / "vip-menu.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("VIP 專屬", "VIP 專區"), "utf-8")
    changed = load_project(tmp_path / "p")
    second = deploy(api, changed.richmenus, "default-menu", prune=True)
    assert second.created == ["vip-menu"] and second.unchanged == ["default-menu"]
    assert second.deleted == [first.line_ids["vip-menu"]]
    assert fake.menus.aliases["vip-menu"] == second.line_ids["vip-menu"]
    assert json.dumps(fake.menus.menus[second.line_ids["vip-menu"]], ensure_ascii=False).count(
        "VIP 專區"
    )
