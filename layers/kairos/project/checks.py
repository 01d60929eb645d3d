"""Checks that need more than one file, or more than the file's own schema.

- Templates compile in the sender's own sandboxed Jinja environments, so what
  `kairos validate` accepts is what the sender can render: a syntax error, an unknown
  filter or test, or an `{% include %}` the sender cannot resolve is found here, not at
  send time.
- Journeys refer only to segments, templates, channels and journeys that exist.

Every problem names the file, the line, the step (inside a journey) and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from kairos.engine.compiled import CompiledJourney, CompiledSegment
from kairos.engine.timing import check_cron
from kairos.models.journey import SendStep, default_step_id
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.project.problems import Loc, Problem, render_loc
from kairos.project.yaml import Document

# ---- templates ------------------------------------------------------------------------

_HTML_FIELDS = {("email", "html")}
"""Rendered with HTML autoescape by the sender; every other text is plain."""


@cache
def _sender_environments() -> tuple[SandboxedEnvironment, SandboxedEnvironment]:
    """The sender's (plain, HTML) environments: the same filters, tests, sandbox and
    loader a template meets at send time."""
    # Imported here: the sender's module brings in line-bot-sdk's Flex models, which only
    # loading templates needs, not reading settings.
    from kairos.delivery.templates import Renderer

    renderer = Renderer()
    return renderer._plain, renderer._html


def check_template(doc: Document, template: Template, problems: list[Problem]) -> None:
    """Every text the sender renders must compile the way the sender compiles it."""
    plain, html = _sender_environments()
    for channel in template.channels():
        body = getattr(template, channel).model_dump(exclude_none=True)
        for loc, text in _strings(body, (channel,)):
            env = html if loc in _HTML_FIELDS else plain
            for reason in _compile_problems(env, text):
                problems.append(Problem(doc.path, doc.line(loc), render_loc(loc), reason))


def _compile_problems(env: SandboxedEnvironment, text: str) -> list[str]:
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return [f"template does not parse (line {exc.lineno} of the text): {exc.message}"]
    # Jinja defers an unknown filter or test inside `{% if %}` to render time, and an
    # include to the loader: find them in the tree so a rarely taken branch cannot hide one.
    found: list[str] = []
    for kind, node_type, known in (
        ("filter", nodes.Filter, env.filters),
        ("test", nodes.Test, env.tests),
    ):
        for used in tree.find_all(node_type):
            if used.name not in known:
                found.append(_compile_reason(used.lineno, f"no {kind} named {used.name!r}"))
    if env.loader is None:
        for other in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            found.append(
                _compile_reason(
                    other.lineno, "a message cannot include, import or extend another template"
                )
            )
    if found:
        return list(dict.fromkeys(found))
    try:
        env.from_string(text)
    except TemplateSyntaxError as exc:  # also TemplateAssertionError
        return [_compile_reason(exc.lineno, exc.message or str(exc))]
    except Exception as exc:  # whatever the sender would meet compiling it
        return [_compile_reason(None, f"{type(exc).__name__}: {exc}")]
    return []


def _compile_reason(lineno: int | None, message: str) -> str:
    at = f" (line {lineno} of the text)" if lineno else ""
    return f"template does not compile{at}: {message}"


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every string in a template body (Flex keys stay as written; values are rendered)."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*loc, i))


# ---- journeys -------------------------------------------------------------------------


def check_references(
    doc: Document,
    compiled: CompiledJourney,
    settings: Settings,
    templates: Mapping[str, Template],
    segments: Mapping[str, CompiledSegment],
    journeys: Mapping[str, CompiledJourney],
    problems: list[Problem],
) -> None:
    """What a journey names elsewhere must exist: segments, templates with the channels
    it sends on, and the journeys it enters; a schedule's cron must parse."""
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
                    render_loc(loc),
                    f"no segment {name!r} (known: {known})",
                )
            )
    if trigger.schedule is not None:
        reason = check_cron(trigger.schedule.cron)
        if reason:
            loc = ("trigger", "schedule", "cron")
            problems.append(Problem(doc.path, doc.line(loc), render_loc(loc), reason))

    for index, step in enumerate(journey.steps):
        sid = step.id or default_step_id(index)
        base: Loc = ("steps", index)
        if isinstance(step, SendStep):
            _check_send(doc, sid, base, step, settings, templates, problems)
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


def _check_send(
    doc: Document,
    sid: str,
    base: Loc,
    step: SendStep,
    settings: Settings,
    templates: Mapping[str, Template],
    problems: list[Problem],
) -> None:
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
        return
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
