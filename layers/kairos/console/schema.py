"""One JSON Schema document for every answer of the console's API, from its pydantic
models: `kairos console-schema --out console/src/api/schema.json` writes it, and the
front end generates its TypeScript types from that file (`npm run types`).

Each family lists its models in a `MODELS` tuple: kairos.console.models (members,
audit), and, when present, kairos.console.models_journeys and models_imports. Every
model is a `$defs` entry and a property of the root object, so a generator that emits
only what the root reaches still emits them all.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

FAMILIES = (
    "kairos.console.models",
    "kairos.console.models_journeys",
    "kairos.console.models_imports",
)
SCHEMA_ID = "https://kairos.dev/schemas/console-api.schema.json"


def console_models() -> list[type[BaseModel]]:
    """Every family's models, in family order, each once."""
    found: dict[str, type[BaseModel]] = {}
    for name in FAMILIES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for model in getattr(module, "MODELS", ()):
            found.setdefault(f"{model.__module__}.{model.__qualname__}", model)
    return list(found.values())


def console_schema() -> dict[str, Any]:
    """The document: `$defs` of every model, referenced from the root's properties."""
    models = console_models()
    refs, document = models_json_schema(
        [(model, "serialization") for model in models],
        ref_template="#/$defs/{model}",
    )
    properties = {model.__name__: refs[(model, "serialization")] for model in models}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "KairosConsoleApi",
        "description": "Answers of the Kairos console's API (/console/api/), by model name.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": document.get("$defs", {}),
    }
