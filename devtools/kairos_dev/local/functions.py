"""Load the real Lambda handlers from `functions/<name>/handler.py`.

The local runtime, the simulator and the tests call exactly the code Lambda runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kairos.aws import AwsClients
from kairos.clock import Clock
from kairos.config import RuntimeConfig

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
    # A handler imports the view modules beside it, as Lambda's code root allows.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    if fresh:
        for sibling in path.parent.glob("*.py"):
            if sibling.stem != "handler":
                sys.modules.pop(sibling.stem, None)
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


Invoke = Callable[[str, dict[str, Any]], Any]

WIRING = {
    "webhook": "kairos.wiring.webhook",
    "evaluator": "kairos.wiring.evaluator",
    "sender": "kairos.wiring.sender",
}
"""Each function's wiring module: `build(config, aws)` makes the services its `handle`
takes. Functions not listed still wire themselves from the environment."""

CLOCKED = frozenset({"sender"})
"""Functions whose "now" is a clock, not their event's time (the sender: a message
returned for a retry keeps its first SentTimestamp): `build(…, clock=…)` gets the
host's clock when it has one."""


@dataclass
class FunctionHost:
    """Runs the real handlers the way Lambda does, with services wired to the clients
    given (the emulator's, or the memory backend's) and the stack's environment."""

    aws: AwsClients
    environ: dict[str, str]
    clock: Clock | None = None
    """The functions' "now" (the simulator's virtual time); None: the wall clock."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Keyword arguments a function's `build` gets besides its config and clients, by
    function (a simulation's sender: its LINE transport and its rate limiter's pace)."""
    _services: dict[str, Any] = field(default_factory=dict)

    def services(self, name: str) -> Any:
        if name not in self._services:
            wiring = importlib.import_module(WIRING[name])
            config = RuntimeConfig.from_env(self.environ)
            clocked = {"clock": self.clock} if self.clock and name in CLOCKED else {}
            options = self.options.get(name, {})
            self._services[name] = wiring.build(config, self.aws, **clocked, **options)
        return self._services[name]

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        module = load_function(name)
        context = LambdaContext(function_name=f"kairos-{name}")
        if name in WIRING and hasattr(module, "handle"):
            return module.handle(event, context, self.services(name))
        return module.handler(event, context)
