"""Domain errors the webhook maps to HTTP answers (nothing is written when one is raised)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which event (`index`, None for the body itself),
    which field (dotted path inside that event), and why."""

    index: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"[{self.index}]." if self.index is not None else ""
        return f"{where}{self.field}: {self.reason}" if self.field else f"{where}{self.reason}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class IngestError(Exception):
    status = 400


class InvalidSignature(IngestError):
    status = 401


class InvalidBody(IngestError):
    """The body is not what the route takes; the message names the field. `problems`
    lists every problem found (all events of a batch are checked before answering)."""

    status = 400

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    @classmethod
    def of(cls, problems: list[Problem]) -> InvalidBody:
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        return cls(shown + more, problems)


class BodyTooLarge(IngestError):
    status = 413
