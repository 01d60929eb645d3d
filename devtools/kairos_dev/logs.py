"""Where the functions' structured logs go while a `kairos` command runs.

The webhook, evaluator and sender run inside the CLI process (local runtime,
simulator, demo) and log one JSON line per event applied, timer processed or message
sent. Those lines are for machines: a command prints for people and sends the log lines
to `.kairos/logs/<command>.jsonl` (replaced on each run); `--verbose` shows them on
standard error as well.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOG_DIR = Path(".kairos") / "logs"


@contextmanager
def function_logs(command: str, *, verbose: bool = False) -> Iterator[Path]:
    """Send the Powertools logger's lines to the command's log file for the duration."""
    from kairos.observability import logger

    path = LOG_DIR / f"{command}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    target = logging.getLogger(logger.name)
    streams = [h for h in target.handlers if isinstance(h, logging.StreamHandler)]
    with path.open("w", encoding="utf-8", buffering=1) as handle:
        previous = [h.setStream(handle) for h in streams]
        echo: logging.Handler | None = None
        if verbose and streams:
            echo = logging.StreamHandler(sys.stderr)
            echo.setFormatter(streams[0].formatter)
            target.addHandler(echo)
        try:
            yield path
        finally:
            if echo is not None:
                target.removeHandler(echo)
            for handler, stream in zip(streams, previous, strict=True):
                handler.setStream(stream if stream is not None else sys.stdout)
