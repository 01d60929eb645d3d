"""`kairos schema [--out DIR]`: JSON Schemas of the project files, for editor completion.

Point an editor's YAML language server at them, e.g. in VS Code settings:
`"yaml.schemas": {"schemas/journey.schema.json": "journeys/*.yaml", ...}`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

FILES: dict[str, str] = {
    "journey": "journeys/*.yaml",
    "template": "templates/*.yaml",
    "segment": "segments/*.yaml",
    "settings": "kairos.yaml",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print or write JSON Schemas of journey, template, segment and settings files",
    )
    parser.add_argument("--out", help="write <name>.schema.json files into this directory")
    parser.set_defaults(func=run)


def schemas() -> dict[str, dict[str, Any]]:
    from kairos.models.journey import Journey
    from kairos.models.segment import Segment
    from kairos.models.settings import Settings
    from kairos.models.template import Template

    out: dict[str, dict[str, Any]] = {}
    for name, model in (
        ("journey", Journey),
        ("template", Template),
        ("segment", Segment),
        ("settings", Settings),
    ):
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://kairos.dev/schemas/{name}.schema.json"
        schema.setdefault("description", f"Kairos {name} file ({FILES[name]})")
        out[name] = schema
    return out


def run(args: argparse.Namespace) -> int:
    all_schemas = schemas()
    if args.out is None:
        print(json.dumps(all_schemas, indent=2, ensure_ascii=False))
        return 0
    directory = Path(args.out)
    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas.items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path}  ({FILES[name]})")
    return 0
