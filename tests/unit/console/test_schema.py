"""The console's one JSON Schema: every answer model is in it, and the copy the front
end generates its types from is the current one."""

from __future__ import annotations

import json
from pathlib import Path

from kairos.console.models import MODELS
from kairos.console.schema import console_schema
from kairos_dev.commands.console_schema import text

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "console" / "src" / "api" / "schema.json"


def test_every_members_model_is_reachable_from_the_root() -> None:
    document = console_schema()
    for model in MODELS:
        assert document["properties"][model.__name__] == {"$ref": f"#/$defs/{model.__name__}"}
        assert model.__name__ in document["$defs"]


def test_answers_name_every_field_and_import_keeps_its_wire_name() -> None:
    defs = console_schema()["$defs"]
    assert set(defs["MemberRow"]["required"]) == set(defs["MemberRow"]["properties"])
    assert "import" in defs["Can"]["properties"] and "import_" not in defs["Can"]["properties"]


def test_the_committed_schema_is_current() -> None:
    # Given a model change, when the schema file was not regenerated, then this fails
    # with the command to run.
    assert SCHEMA_FILE.exists(), "run: kairos console-schema --out console/src/api/schema.json"
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json.loads(text()), (
        "console/src/api/schema.json is stale: run "
        "kairos console-schema --out console/src/api/schema.json (then npm run types)"
    )
