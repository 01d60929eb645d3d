"""Checks that need more than one file, or more than the file's own schema.

- Every text of a template parses as Jinja2.
- Journeys refer only to segments, templates, channels and journeys that exist.

Every problem names the file, the line, the step (inside a journey) and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from kairos.engine.compiled import CompiledJourney, CompiledSegment
from kairos.engine.timing import check_cron
from kairos.models.journey import SendStep, default_step_id
from kairos.models.settings import Settings
from kairos.models.template import Template
from kairos.project.problems import Loc, Problem, render_loc
from kairos.project.yaml import Document

# ---- templates ------------------------------------------------------------------------

_JINJA = SandboxedEnvironment()


def check_template(doc: Document, template: Template, problems: list[Problem]) -> None:
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
                        render_loc(loc),
                        f"template does not parse (line {exc.lineno} of the text): {exc.message}",
                    )
                )


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
