"""Progress bars for long `kairos` commands, on standard error so that standard output
stays the command's result (JSON lines, CSV)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def progress_bar(*, counted: bool = True) -> Progress:
    """A bar with done/total (`counted`) or a spinner with a count when the total is
    unknown; it disappears when done."""
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if counted:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns += [TextColumn("{task.completed:,.0f}")]
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)
