"""From a YAML document to a validated model, with every problem located.

pydantic says *what* is wrong and *where* in the data (`steps.3.send.send.channel`);
this module turns that into a `Problem` a marketer can act on: the file, the line,
`step <id>: <field>` and a plain reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from kairos.models.journey import STEP_KINDS, Journey, default_step_id
from kairos.project.problems import Loc, Problem, render_loc
from kairos.project.yaml import Document

if TYPE_CHECKING:
    # Only a type here: reading kairos.yaml alone must not load the journey compiler.
    from kairos.engine.compiled import JourneyProblem

M = TypeVar("M", bound=BaseModel)


def parse(doc: Document, model: type[M], problems: list[Problem]) -> M | None:
    """The document as `model`, or None with its problems added to `problems`."""
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.path, doc.line(()), "", "the file must hold a YAML mapping"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_problems(doc, exc))
        return None


def validation_problems(doc: Document, exc: ValidationError) -> list[Problem]:
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
            raw = dig(doc.data, loc)
            keys = sorted(raw) if isinstance(raw, dict) else []
            extra = [k for k in keys if k not in ("id", "name", "next", "on_event", "on_timeout")]
            if extra:
                message += f" (found {', '.join(map(str, extra))})"
        problems.append(
            Problem(
                doc.path,
                doc.line(loc) if loc else doc.line(tuple(err["loc"])[:2]),
                where(doc, loc),
                message,
            )
        )
    return problems


def dig(data: Any, loc: Loc) -> Any:
    """The value at `loc`, or None when the path does not exist."""
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if (isinstance(data, dict) and part in data) or in_list:
            data = data[part]
        else:
            return None
    return data


def where(doc: Document, loc: Loc) -> str:
    """`step <id>: rest` for a location inside a journey step, else the field path."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        raw = dig(doc.data, loc[:2])
        sid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        label = f"step {sid or default_step_id(loc[1])}"
        rest = render_loc(loc[2:])
        return f"{label}: {rest}" if rest else label
    return render_loc(loc)


_STANDINS: dict[str, Any] = {
    "id": "unnamed",
    "name": "unnamed",
    "trigger": {"event": "kairos.unknown"},
}


def parse_journey(doc: Document, problems: list[Problem]) -> tuple[Journey | None, bool]:
    """Parse a journey; when some fields or steps are broken, report them and parse it
    again with stand-ins for the broken parts, so the remaining checks (conditions,
    references, loops) still run and every problem is reported in one pass.

    The flag says whether stand-ins were used (their edges are not the real ones)."""
    parsed = parse(doc, Journey, problems)
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


def journey_problems(doc: Document, found: list[JourneyProblem]) -> list[Problem]:
    """The engine's findings in one journey or segment, located in its file."""
    out: list[Problem] = []
    for p in found:
        if p.step is not None:
            label = f"step {p.step}: {p.where}" if p.where else f"step {p.step}"
        else:
            label = p.where
        out.append(Problem(doc.path, doc.line(p.loc) if p.loc else None, label, p.reason))
    return out
