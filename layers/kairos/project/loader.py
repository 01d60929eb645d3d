"""Loading a brand project directory (SPEC preamble): `kairos.yaml`, `journeys/`,
`templates/`, `segments/` — read, checked and versioned.

`load_project` either returns a `Project` that is safe to run or raises `ProjectError`
carrying *every* problem (see `kairos.project.problems`). Files are read by the one
YAML 1.2 loader (`kairos.project.yaml`), settings by the one settings reader
(`kairos.project.settings`), and what spans files by `kairos.project.checks`.

Versions are content hashes of the validated model, so reformatting or commenting a file
does not publish a new version, while any change of meaning does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kairos.delivery.units import MAX_UNITS
from kairos.engine.compiled import (
    CompiledJourney,
    CompiledSegment,
    compile_journey,
    compile_segment,
)
from kairos.models.richmenu import RichMenuFile
from kairos.models.segment import Segment
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.project.checks import check_references, check_template
from kairos.project.parsing import journey_problems, parse, parse_journey
from kairos.project.problems import Problem, ProjectError
from kairos.project.richmenus import (
    check_bindings,
    check_menu_steps,
    check_switches,
    image_path,
    read_menu,
)
from kairos.project.settings import project_root, read_settings
from kairos.project.yaml import Document, read_yaml
from kairos.reports.line_units import line_steps


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings
    journeys: dict[str, CompiledJourney]
    templates: dict[str, Template]
    template_versions: dict[str, str]
    segments: dict[str, CompiledSegment]
    version: str
    """One hash over settings and every journey, template and segment version."""
    files: dict[str, str] = field(default_factory=dict)
    """`journey:<id>` / `template:<id>` / `segment:<id>` / `richmenu:<id>` → file (relative)."""
    richmenus: dict[str, RichMenuFile] = field(default_factory=dict)
    """LINE rich menus (`richmenus/*.yaml` with their images), by id."""

    def journeys_on_event(self, event_type: str) -> list[CompiledJourney]:
        """Journeys an event of this type can start (event triggers), in id order."""
        return [
            j for _, j in sorted(self.journeys.items()) if j.journey.trigger.event == event_type
        ]

    def journeys_on_segment(self, segment_id: str) -> list[CompiledJourney]:
        return [
            j for _, j in sorted(self.journeys.items()) if j.journey.trigger.segment == segment_id
        ]

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        parts = [
            n(len(self.journeys), "journey"),
            n(len(self.templates), "template"),
            n(len(self.segments), "segment"),
        ]
        if self.richmenus:
            parts.append(n(len(self.richmenus), "rich menu"))
        return ", ".join(parts)


def content_version(model: BaseModel | Mapping[str, Any]) -> str:
    """`v` + 12 hex of the SHA-256 of the canonical JSON of the validated content."""
    data = model.model_dump(mode="json", by_alias=True) if isinstance(model, BaseModel) else model
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "v" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def _files(root: Path, folder: str) -> Iterator[Path]:
    directory = root / folder
    if not directory.is_dir():
        return iter(())
    return iter(
        sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    )


def load_project(path: str | Path) -> Project:
    """Load and check a project directory; raises ProjectError listing every problem."""
    root = project_root(path)
    settings, problems = read_settings(root)
    files: dict[str, str] = {}

    def documents(folder: str) -> Iterator[Document]:
        for file in _files(root, folder):
            try:
                yield read_yaml(file, f"{folder}/{file.name}")
            except ProjectError as exc:
                problems.extend(exc.problems)

    def duplicate(doc: Document, kind: str, ident: str) -> bool:
        """Report a second file with the same id; its other checks still run."""
        key = f"{kind}:{ident}"
        if key not in files:
            files[key] = doc.path
            return False
        problems.append(
            Problem(
                doc.path,
                doc.line(("id",)),
                "id",
                f"duplicate {kind} id {ident!r} (also in {files[key]})",
            )
        )
        return True

    # Templates
    templates: dict[str, Template] = {}
    template_versions: dict[str, str] = {}
    for doc in documents("templates"):
        template = parse(doc, Template, problems)
        if template is None:
            continue
        if not template.channels():
            problems.append(
                Problem(
                    doc.path, doc.line(()), "", "a template needs at least one of line, email, sms"
                )
            )
        check_template(doc, template, problems)
        if not duplicate(doc, "template", template.id):
            templates[template.id] = template
            template_versions[template.id] = content_version(template)

    # Segments
    segments: dict[str, CompiledSegment] = {}
    for doc in documents("segments"):
        segment = parse(doc, Segment, problems)
        if segment is None:
            continue
        compiled_segment, found = compile_segment(segment, content_version(segment))
        problems.extend(journey_problems(doc, found))
        if not duplicate(doc, "segment", segment.id):
            segments[segment.id] = compiled_segment

    # Rich menus (each with its image beside it; tabs name other menus)
    richmenus: dict[str, RichMenuFile] = {}
    menu_docs: list[tuple[Document, RichMenuFile]] = []
    for doc in documents("richmenus"):
        menu = read_menu(doc, root, problems)
        if menu is None or duplicate(doc, "richmenu", menu.id):
            continue
        image = image_path(root / doc.path, menu)
        digest = hashlib.sha256(image.read_bytes()).hexdigest() if image else ""
        version = content_version({"menu": content_version(menu), "image": digest})
        entry = RichMenuFile(menu, image or root / doc.path, version)
        richmenus[menu.id] = entry
        menu_docs.append((doc, entry))
    for doc, entry in menu_docs:
        check_switches(doc, entry.menu, richmenus, problems)
    check_bindings(settings, richmenus, segments, problems)

    # Journeys (references are checked once all ids are known)
    journeys: dict[str, CompiledJourney] = {}
    checked: list[tuple[Document, CompiledJourney]] = []
    for doc in documents("journeys"):
        journey, patched = parse_journey(doc, problems)
        if journey is None:
            continue
        compiled, found = compile_journey(journey, content_version(journey), frozenset(segments))
        if patched:
            # Stand-ins for broken steps have no real edges: reachability would mislead.
            found = [p for p in found if not p.reason.startswith("unreachable")]
        problems.extend(journey_problems(doc, found))
        checked.append((doc, compiled))
        if not duplicate(doc, "journey", journey.id):
            journeys[journey.id] = compiled

    for doc, compiled in checked:
        check_references(doc, compiled, settings, templates, segments, journeys, problems)
    for doc, compiled in checked:
        check_menu_steps(doc, compiled.journey, richmenus, problems)
    line_units = len(line_steps(journeys.values()))
    if line_units > MAX_UNITS:
        problems.append(
            Problem("journeys", None, "", f"{line_units} steps send on LINE; LINE counts opens "
                    f"and clicks for at most {MAX_UNITS} steps a month (docs/sender.md)")
        )  # fmt: skip

    if problems:
        raise ProjectError(problems)
    version = content_version(
        {
            "settings": content_version(settings),
            "journeys": {k: j.version for k, j in journeys.items()},
            "templates": template_versions,
            "segments": {k: s.version for k, s in segments.items()},
            "richmenus": {k: m.version for k, m in richmenus.items()},
        }
    )
    return Project(
        root, settings, journeys, templates, template_versions, segments, version, files, richmenus
    )
