"""`kairos console-schema [--out FILE]`: the JSON Schema of the console API's answers
(kairos.console.schema), from which the console's TypeScript types are generated.

`make`-free regeneration after changing a console model:
`kairos console-schema --out console/src/api/schema.json`, then `npm run types` in
`console/`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "console-schema",
        help="print or write the JSON Schema of the console API's answers",
    )
    parser.add_argument("--out", help="write the schema to this file")
    parser.set_defaults(func=run)


def text() -> str:
    from kairos.console.schema import console_schema

    return json.dumps(console_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def run(args: argparse.Namespace) -> int:
    document = text()
    if args.out is None:
        print(document, end="")
        return 0
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    print(path)
    return 0
