"""A brand project directory (SPEC preamble): `kairos.yaml`, `journeys/`, `templates/`,
`segments/` — loaded, cross-checked and versioned.

`load_project` either returns a `Project` that is safe to run or raises `ProjectError`
carrying *every* problem, each as `FILE[:LINE]: WHERE: REASON` where WHERE is
`step <id>: <field>` inside a journey step, or the field path otherwise. A marketer
fixes a whole file in one pass instead of one error per run.

YAML is read with three marketer-friendly changes to YAML 1.1 (the YAML 1.2 rules):
unquoted times and dates stay text (`start: 21:00` is "21:00", not the sexagesimal
number 1260; `2026-05-01` is "2026-05-01", not a date object), and only true/false are
booleans (`goto: yes` names a step called "yes"; `gender: no` is "no"); and a number
with a leading zero stays text (`010` is "010", not octal 8).

Versions are content hashes of the validated model, so reformatting or commenting a file
does not publish a new version, while any change of meaning does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ValidationError

from kairos.engine.compiled import (
    CompiledJourney,
    CompiledSegment,
    JourneyProblem,
    compile_journey,
    compile_segment,
)
from kairos.engine.conditions import ConditionError
from kairos.engine.derived import lifecycle_rules
from kairos.engine.timing import check_cron
from kairos.models.journey import STEP_KINDS, Journey, SendStep, default_step_id
from kairos.models.segment import Segment
from kairos.models.settings import Settings
from kairos.models.template import Template

SETTINGS_FILE = "kairos.yaml"
Loc = tuple[str | int, ...]


# ---- problems -------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    where: str
    reason: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.reason}" if self.where else f"{place}: {self.reason}"


class ProjectError(Exception):
    """A project that does not validate; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.where, p.reason))
        super().__init__("\n".join(str(p) for p in self.problems))


# ---- YAML with positions ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader where times and dates stay strings (see the module docstring)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass
class Document:
    path: str
    """Relative to the project directory, as shown in messages."""
    data: Any
    node: yaml.Node | None

    def line(self, loc: Loc) -> int | None:
        """The 1-based line of the deepest node `loc` reaches."""
        node = self.node
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                # A missing key leaves `child` None: the message points at the mapping.
                child = next((v for k, v in node.value if k.value == str(part)), None)
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                child = node.value[part]
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line


def parse_yaml(text: str) -> Any:
    """YAML text read the way project files are read."""
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader


def read_yaml(path: Path, shown: str) -> Document:
    """Parse one YAML file; raises ProjectError with the line on a syntax error."""
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ProjectError(
            [Problem(shown, line, "", f"YAML syntax: {exc.problem or exc}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ProjectError([Problem(shown, None, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return Document(shown, data, node)


# ---- the project ----------------------------------------------------------------------------


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
    """`journey:<id>` / `template:<id>` / `segment:<id>` → file (relative)."""

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

        return ", ".join(
            [
                n(len(self.journeys), "journey"),
                n(len(self.templates), "template"),
                n(len(self.segments), "segment"),
            ]
        )


def content_version(model: BaseModel | Mapping[str, Any]) -> str:
    """`v` + 12 hex of the SHA-256 of the canonical JSON of the validated content."""
    data = model.model_dump(mode="json", by_alias=True) if isinstance(model, BaseModel) else model
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "v" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def _render_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _validation_problems(doc: Document, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        # Tagged unions put the tag into the location: steps.3.send.send.channel.
        if (
            len(loc) > 2
            and loc[0] == "steps"
            and loc[2] in STEP_KINDS
            and err["type"] != "step_kind"
        ):
            loc = (*loc[:2], *loc[3:])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
            loc = loc[:-1] if len(loc) > 1 else loc
            if not loc or loc == ("steps",):
                loc = ()
        elif err["type"] == "missing":
            message = f"missing field {loc[-1]!r}"
            loc = loc[:-1]
        elif err["type"] == "step_kind":
            raw = _dig(doc.data, loc)
            keys = sorted(raw) if isinstance(raw, dict) else []
            extra = [k for k in keys if k not in ("id", "name", "next", "on_event", "on_timeout")]
            if extra:
                message += f" (found {', '.join(map(str, extra))})"
        where = _where(doc, loc)
        problems.append(
            Problem(
                doc.path, doc.line(loc) if loc else doc.line(tuple(err["loc"])[:2]), where, message
            )
        )
    return problems


def _dig(data: Any, loc: Loc) -> Any:
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if (isinstance(data, dict) and part in data) or in_list:
            data = data[part]
        else:
            return None
    return data


def _where(doc: Document, loc: Loc) -> str:
    """`step <id>: rest` for a location inside a journey step, else the field path."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        raw = _dig(doc.data, loc[:2])
        sid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        label = f"step {sid or default_step_id(loc[1])}"
        rest = _render_loc(loc[2:])
        return f"{label}: {rest}" if rest else label
    return _render_loc(loc)


def _files(root: Path, folder: str) -> Iterator[Path]:
    directory = root / folder
    if not directory.is_dir():
        return iter(())
    return iter(
        sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    )


def _parse(doc: Document, model: type[BaseModel], problems: list[Problem]) -> Any:
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.path, doc.line(()), "", "the file must hold a YAML mapping"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(doc, exc))
        return None


_STANDINS: dict[str, Any] = {
    "id": "unnamed",
    "name": "unnamed",
    "trigger": {"event": "kairos.unknown"},
}


def _parse_journey(doc: Document, problems: list[Problem]) -> tuple[Journey | None, bool]:
    """Parse a journey; when some fields or steps are broken, report them and parse it
    again with stand-ins for the broken parts, so the remaining checks (conditions,
    references, loops) still run and every problem is reported in one pass."""
    parsed = _parse(doc, Journey, problems)
    if parsed is not None or not isinstance(doc.data, dict):
        return parsed, False
    try:
        Journey.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
    data = dict(doc.data)
    broken_steps = {
        e["loc"][1]
        for e in errors
        if len(e["loc"]) > 1 and e["loc"][0] == "steps" and isinstance(e["loc"][1], int)
    }
    for top in {e["loc"][0] for e in errors if e["loc"]} - {"steps"}:
        if top in _STANDINS:
            data[top] = _STANDINS[top]
        else:
            data.pop(top, None)
    steps = data.get("steps")
    if isinstance(steps, list):
        patched = []
        for i, raw in enumerate(steps):
            if i not in broken_steps:
                patched.append(raw)
                continue
            standin: dict[str, Any] = {"wait": {"days": 1}}
            if isinstance(raw, dict):
                for key in ("id", "next"):
                    if isinstance(raw.get(key), str):
                        standin[key] = raw[key]
            patched.append(standin)
        data["steps"] = patched
    try:
        return Journey.model_validate(data), True
    except ValidationError:
        return None, True


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*loc, i))


_JINJA = SandboxedEnvironment()


def _check_template(doc: Document, template: Template, problems: list[Problem]) -> None:
    """Every text of the template must parse as Jinja2 (rendering is the sender's job)."""
    for channel in template.channels():
        body = getattr(template, channel).model_dump(exclude_none=True)
        for loc, text in _strings(body, (channel,)):
            try:
                _JINJA.parse(text)
            except TemplateSyntaxError as exc:
                problems.append(
                    Problem(
                        doc.path,
                        doc.line(loc),
                        _render_loc(loc),
                        f"template does not parse (line {exc.lineno} of the text): {exc.message}",
                    )
                )


def _journey_problems(doc: Document, found: list[JourneyProblem]) -> list[Problem]:
    out: list[Problem] = []
    for p in found:
        if p.step is not None:
            where = f"step {p.step}: {p.where}" if p.where else f"step {p.step}"
        else:
            where = p.where
        out.append(Problem(doc.path, doc.line(p.loc) if p.loc else None, where, p.reason))
    return out


def _load_settings(root: Path, problems: list[Problem]) -> Settings:
    path = root / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        doc = read_yaml(path, SETTINGS_FILE)
    except ProjectError as exc:
        problems.extend(exc.problems)
        return Settings()
    if doc.data is None:
        return Settings()
    settings = _parse(doc, Settings, problems)
    if settings is None:
        return Settings()
    try:
        lifecycle_rules(settings)
    except ConditionError as exc:
        for cp in exc.problems:
            loc: Loc = tuple(
                int(x) if x.isdigit() else x for x in re.split(r"[.\[\]]+", cp.where) if x
            )
            problems.append(Problem(SETTINGS_FILE, doc.line(loc), cp.where, cp.reason))
    assert isinstance(settings, Settings)
    return settings


def load_project(path: str | Path) -> Project:
    """Load and check a project directory; raises ProjectError listing every problem."""
    root = Path(path)
    if not root.is_dir():
        raise ProjectError([Problem(str(root), None, "", "not a directory")])
    problems: list[Problem] = []
    settings = _load_settings(root, problems)
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
        template = _parse(doc, Template, problems)
        if template is None:
            continue
        if not template.channels():
            problems.append(
                Problem(
                    doc.path, doc.line(()), "", "a template needs at least one of line, email, sms"
                )
            )
        _check_template(doc, template, problems)
        if not duplicate(doc, "template", template.id):
            templates[template.id] = template
            template_versions[template.id] = content_version(template)

    # Segments
    segments: dict[str, CompiledSegment] = {}
    for doc in documents("segments"):
        segment = _parse(doc, Segment, problems)
        if segment is None:
            continue
        compiled_segment, found = compile_segment(segment, content_version(segment))
        problems.extend(_journey_problems(doc, found))
        if not duplicate(doc, "segment", segment.id):
            segments[segment.id] = compiled_segment

    # Journeys (references are checked once all ids are known)
    journeys: dict[str, CompiledJourney] = {}
    checked: list[tuple[Document, CompiledJourney]] = []
    for doc in documents("journeys"):
        journey, patched = _parse_journey(doc, problems)
        if journey is None:
            continue
        compiled, found = compile_journey(journey, content_version(journey))
        if patched:
            # Stand-ins for broken steps have no real edges: reachability would mislead.
            found = [p for p in found if not p.reason.startswith("unreachable")]
        problems.extend(_journey_problems(doc, found))
        checked.append((doc, compiled))
        if not duplicate(doc, "journey", journey.id):
            journeys[journey.id] = compiled

    for doc, compiled in checked:
        _check_references(doc, compiled, settings, templates, segments, journeys, problems)

    if problems:
        raise ProjectError(problems)
    version = content_version(
        {
            "settings": content_version(settings),
            "journeys": {k: j.version for k, j in journeys.items()},
            "templates": template_versions,
            "segments": {k: s.version for k, s in segments.items()},
        }
    )
    return Project(root, settings, journeys, templates, template_versions, segments, version, files)


def _check_references(
    doc: Document,
    compiled: CompiledJourney,
    settings: Settings,
    templates: Mapping[str, Template],
    segments: Mapping[str, CompiledSegment],
    journeys: Mapping[str, CompiledJourney],
    problems: list[Problem],
) -> None:
    journey = compiled.journey
    trigger = journey.trigger
    for name, loc in (
        (trigger.segment, ("trigger", "segment")),
        (
            trigger.schedule.segment if trigger.schedule else None,
            ("trigger", "schedule", "segment"),
        ),
    ):
        if name is not None and name not in segments:
            known = ", ".join(sorted(segments)) or "none in segments/"
            problems.append(
                Problem(
                    doc.path,
                    doc.line(loc),
                    _render_loc(loc),
                    f"no segment {name!r} (known: {known})",
                )
            )
    if trigger.schedule is not None:
        reason = check_cron(trigger.schedule.cron)
        if reason:
            loc = ("trigger", "schedule", "cron")
            problems.append(Problem(doc.path, doc.line(loc), _render_loc(loc), reason))

    for index, step in enumerate(journey.steps):
        sid = step.id or default_step_id(index)
        base: Loc = ("steps", index)
        if isinstance(step, SendStep):
            send = step.send
            template = templates.get(send.template)
            if template is None:
                problems.append(
                    Problem(
                        doc.path,
                        doc.line((*base, "send", "template")),
                        f"step {sid}: send.template",
                        f"no template {send.template!r} in templates/",
                    )
                )
                continue
            have = template.channels()
            if send.channel == "auto":
                usable = [c for c in settings.channel_priority if c in have]
                if not usable:
                    problems.append(
                        Problem(
                            doc.path,
                            doc.line((*base, "send")),
                            f"step {sid}: send.channel",
                            f"auto: template {send.template!r} has none of the channels in "
                            f"channel_priority ({', '.join(settings.channel_priority)})",
                        )
                    )
            elif send.channel not in have:
                problems.append(
                    Problem(
                        doc.path,
                        doc.line((*base, "send", "channel")),
                        f"step {sid}: send.channel",
                        f"template {send.template!r} has no {send.channel} message "
                        f"(it has {', '.join(have) or 'none'})",
                    )
                )
            for i, channel in enumerate(send.fallback):
                if channel not in have:
                    problems.append(
                        Problem(
                            doc.path,
                            doc.line((*base, "send", "fallback", i)),
                            f"step {sid}: send.fallback[{i}]",
                            f"template {send.template!r} has no {channel} message",
                        )
                    )
        target = getattr(step, "enter", None)
        if isinstance(target, str) and target not in journeys:
            problems.append(
                Problem(
                    doc.path,
                    doc.line((*base, "enter")),
                    f"step {sid}: enter",
                    f"no journey {target!r}",
                )
            )
