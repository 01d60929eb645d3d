"""Reading project files: YAML the YAML 1.2 way, keeping each value's line.

Every project file — `kairos.yaml` included, whether `kairos validate` or a function
reads it — goes through this one loader, so a file means the same thing everywhere.

It is PyYAML's safe loader with three marketer-friendly changes to YAML 1.1 (the YAML
1.2 rules): unquoted times and dates stay text (`start: 21:00` is "21:00", not the
sexagesimal number 1260; `2026-05-01` is "2026-05-01", not a date object), only
true/false are booleans (`goto: yes` names a step called "yes"; `gender: no` is "no"),
and a number with a leading zero stays text (`010` is "010", not octal 8).

`read_yaml` keeps the node tree next to the data so a problem found later (by pydantic,
by a cross-file check) can name the line it is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kairos.project.problems import Loc, Problem, ProjectError


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 scalars described in the module docstring."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass
class Document:
    path: str
    """Relative to the project directory, as shown in messages."""
    data: Any
    node: yaml.Node | None

    def line(self, loc: Loc) -> int | None:
        """The 1-based line of the deepest node `loc` reaches."""
        node = self.node
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                # A missing key leaves `child` None: the message points at the mapping.
                child = next((v for k, v in node.value if k.value == str(part)), None)
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                child = node.value[part]
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line


def parse_yaml(text: str) -> Any:
    """YAML text read the way project files are read."""
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader


def read_yaml(path: Path, shown: str) -> Document:
    """Parse one YAML file; raises ProjectError with the line on a syntax error.

    `shown` is the file's name in messages (relative to the project directory)."""
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ProjectError(
            [Problem(shown, line, "", f"YAML syntax: {exc.problem or exc}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ProjectError([Problem(shown, None, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return Document(shown, data, node)
