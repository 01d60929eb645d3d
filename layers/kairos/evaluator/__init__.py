"""The evaluator: the journey engine's side effects, driven by the table's stream (an
event was applied to a member) and by the every-minute schedule (time passed).

`kairos.engine` decides (pure); these modules load what it needs, ask, and write the
answer through the ports — each outcome in one conditional transaction, its sends and
member changes only after that transaction succeeded, so a redelivered record or a
timer seen twice changes nothing.

- `service`: `Evaluator`, the facade the handler builds and calls;
- `ports`: the store operations the evaluator needs, as Protocols in domain terms;
- `publish`: immutable journey versions, and the version an enrolment runs on;
- `context`: member contexts and runtime for the pure engine;
- `commit`: an engine outcome → one conditional commit, then its effects (guard timers);
- `segments`: segment membership as members change and time passes;
- `stream`: reactions to a member change (triggers, goals, `wait_for`, engagement);
- `timers`: due timers, each to the handler of its kind;
- `timer_kinds`: the timers the evaluator writes and their deterministic ids.
"""

from kairos.evaluator.service import Evaluator
from kairos.evaluator.timers import TickReport

__all__ = ["Evaluator", "TickReport"]
