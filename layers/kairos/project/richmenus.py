"""`richmenus/*.yaml` read and checked with the files beside them, and the
`kairos.yaml: richmenus:` bindings checked against the project's menus and segments.

Each problem names the file, the field and the reason, like every other project check:
`richmenus/vip-menu.yaml:12: areas[1].action.to: no rich menu 'tabs' in richmenus/`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from kairos.models.journey import Journey, RichMenuStep
from kairos.models.richmenu import MAX_IMAGE_BYTES, RichMenu, RichMenuFile, SwitchAction
from kairos.models.settings import Settings
from kairos.project.images import image_kind, image_size
from kairos.project.parsing import parse
from kairos.project.problems import Problem
from kairos.project.settings import SETTINGS_FILE
from kairos.project.yaml import Document


def read_menu(doc: Document, root: Path, problems: list[Problem]) -> RichMenu | None:
    menu = parse(doc, RichMenu, problems)
    if menu is None:
        return None
    image = image_path(root / doc.path, menu)
    where = "image"
    if image is None:
        problems.append(
            Problem(
                doc.path,
                doc.line(("image",)),
                where,
                f"no image beside the file ({menu.image or Path(doc.path).stem + '.png'} or .jpg)",
            )
        )
        return menu
    data = image.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        problems.append(
            Problem(
                doc.path,
                doc.line((where,)),
                where,
                f"{image.name} is {len(data):,} bytes; LINE takes at most 1 MB",
            )
        )
    if image_kind(data) is None:
        problems.append(
            Problem(doc.path, doc.line((where,)), where, f"{image.name} is not a PNG or JPEG")
        )
        return menu
    size = image_size(data)
    if size != (menu.size.width, menu.size.height):
        found = "unreadable" if size is None else f"{size[0]}×{size[1]}"
        problems.append(
            Problem(
                doc.path,
                doc.line((where,)),
                where,
                f"{image.name} is {found}; the menu's size is {menu.size.width}×{menu.size.height}",
            )
        )
    return menu


def image_path(file: Path, menu: RichMenu) -> Path | None:
    candidates = [menu.image] if menu.image else [f"{file.stem}.png", f"{file.stem}.jpg"]
    for name in candidates:
        path = file.parent / name
        if path.is_file():
            return path
    return None


def check_switches(
    doc: Document, menu: RichMenu, menus: Collection[str], problems: list[Problem]
) -> None:
    for i, area in enumerate(menu.areas):
        if isinstance(area.action, SwitchAction) and area.action.to not in menus:
            loc = ("areas", i, "action", "to")
            problems.append(
                Problem(
                    doc.path,
                    doc.line(loc),
                    f"areas[{i}].action.to",
                    f"no rich menu {area.action.to!r} in richmenus/",
                )
            )


def check_bindings(
    settings: Settings,
    menus: Collection[str],
    segments: Collection[str],
    problems: list[Problem],
    line: int | None = None,
) -> None:
    """Bindings name known menus and segments; the default (no condition) comes last."""
    bindings = settings.richmenus
    for i, binding in enumerate(bindings):
        where = f"richmenus[{i}]"
        if binding.menu not in menus:
            problems.append(
                Problem(
                    SETTINGS_FILE,
                    line,
                    f"{where}.menu",
                    f"no rich menu {binding.menu!r} in richmenus/",
                )
            )
        if binding.segment is not None and binding.segment not in segments:
            problems.append(
                Problem(
                    SETTINGS_FILE,
                    line,
                    f"{where}.segment",
                    f"no segment {binding.segment!r} in segments/",
                )
            )
        if binding.is_default and i != len(bindings) - 1:
            problems.append(
                Problem(
                    SETTINGS_FILE,
                    line,
                    where,
                    "the default menu (no segment or tag) must be the last binding",
                )
            )


def menu_ids(menus: Iterable[RichMenuFile]) -> list[str]:
    return sorted(m.menu.id for m in menus)


def check_menu_steps(
    doc: Document, journey: Journey, menus: Collection[str], problems: list[Problem]
) -> None:
    """A journey's `richmenu:` steps name menus of the project."""
    for index, step in enumerate(journey.steps):
        if isinstance(step, RichMenuStep) and step.richmenu not in menus:
            loc = ("steps", index, "richmenu")
            problems.append(
                Problem(doc.path, doc.line(loc), f"step {step.id}: richmenu",
                        f"no rich menu {step.richmenu!r} in richmenus/")
            )  # fmt: skip
