"""Load the real Lambda handlers from `functions/<name>/handler.py`.

The local runtime, the simulator and the tests call exactly the code Lambda runs.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = REPO_ROOT / "functions"


def load_function(name: str, *, fresh: bool = False) -> ModuleType:
    """Import `functions/<name>/handler.py` as module `kairos_fn_<name>`.

    `fresh=True` re-imports it, so module-level configuration is read again from the
    current environment (tests point it at new tables)."""
    module_name = f"kairos_fn_{name}"
    if not fresh and module_name in sys.modules:
        return sys.modules[module_name]
    path = FUNCTIONS_DIR / name / "handler.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """Enough of Lambda's context object for Powertools."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "local"
    invoked_function_arn: str = field(default="")
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:ap-northeast-1:123456789012:function:{self.function_name}"
            )

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def invoke(name: str, event: dict[str, Any]) -> Any:
    return load_function(name).handler(event, LambdaContext(function_name=f"kairos-{name}"))
