"""`kairos richmenus deploy`: the project's rich menus onto the channel, idempotently.

LINE's rich menus cannot be changed once created, so a menu's LINE `name` carries its
project id and content version (`… [kairos:vip-menu:v4a4f0433680d]`, the version a hash
of the YAML's meaning and the image's bytes): a deploy creates only the menus whose
version is not on the channel yet (create, then upload the image; a failed upload
deletes the half-made menu), points each menu's alias (its id: what `richmenuswitch`
tabs name) at the current version, and makes the default binding's menu the channel's
default. Run twice, the second run changes nothing.

Older versions are kept, because members linked to them still see them; `prune`
deletes them (LINE then shows those members the default menu until their binding next
changes) — docs/templates.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kairos.models.richmenu import RichMenuFile
from kairos.richmenus.api import LineApi

_MARK = re.compile(r"\[kairos:([a-z0-9-]+):(v[0-9a-f]+)\]$")


def line_name(menu: RichMenuFile) -> str:
    return f"{menu.menu.name[:250]} [kairos:{menu.menu.id}:{menu.version}]"


def mark(name: str) -> tuple[str, str] | None:
    """(project id, version) of a menu Kairos made, from its LINE name."""
    found = _MARK.search(name)
    return (found.group(1), found.group(2)) if found else None


@dataclass
class DeployReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    default: str | None = None
    """The menu made the channel's default by this run (None: already, or none bound)."""
    deleted: list[str] = field(default_factory=list)
    """LINE ids of older versions removed (`prune`)."""
    line_ids: dict[str, str] = field(default_factory=dict)
    """Project menu id → the LINE id of its current version."""

    @property
    def changed(self) -> bool:
        return bool(self.created or self.aliased or self.default or self.deleted)


def deploy(
    api: LineApi,
    menus: Mapping[str, RichMenuFile],
    default: str | None,
    *,
    prune: bool = False,
) -> DeployReport:
    report = DeployReport()
    existing: dict[tuple[str, str], str] = {}
    older: list[str] = []
    for found in api.menus():
        marked = mark(str(found.get("name", "")))
        if marked is None:
            continue  # made by hand or by another tool: not ours to touch
        ident, version = marked
        current = menus.get(ident)
        if current is not None and current.version == version:
            existing[marked] = str(found["richMenuId"])
        else:
            older.append(str(found["richMenuId"]))
    for ident, menu in sorted(menus.items()):
        line_id = existing.get((ident, menu.version))
        if line_id is not None:
            report.unchanged.append(ident)
        else:
            line_id = api.create_menu({**menu.menu.line_body(), "name": line_name(menu)})
            image = menu.image.read_bytes()
            try:
                kind = "image/jpeg" if image.startswith(b"\xff\xd8") else "image/png"
                api.upload_image(line_id, image, kind)
            except Exception:
                api.delete_menu(line_id)
                raise
            report.created.append(ident)
        report.line_ids[ident] = line_id
    for ident, line_id in sorted(report.line_ids.items()):
        if api.alias(ident) != line_id:
            api.set_alias(ident, line_id)
            report.aliased.append(ident)
    if default is not None and api.default_menu() != report.line_ids[default]:
        api.set_default(report.line_ids[default])
        report.default = default
    if prune:
        for line_id in older:
            api.delete_menu(line_id)
            report.deleted.append(line_id)
    return report
