"""What is wrong with a brand project, said the way a marketer can act on it.

A `Problem` is one finding as `FILE[:LINE]: WHERE: REASON`, where WHERE is
`step <id>: <field>` inside a journey step, or the field path otherwise. A
`ProjectError` carries *every* problem of a project, sorted, so a marketer fixes a
whole file in one pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]
"""A path into a YAML document: mapping keys and list indices."""


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    """Relative to the project directory."""
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


def render_loc(loc: Loc) -> str:
    """`steps[3].send.channel` for ("steps", 3, "send", "channel")."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
