"""A console import's record on the emulator: chunks are recorded once and in order,
their counts added to the import's in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kairos.store.imports import ImportStore
from kairos_dev.local.stack import LocalStack

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _result(rows: int, rejected: int = 0) -> dict[str, object]:
    return {"rows": rows, "applied": rows - rejected, "rejected": rejected, "first_line": 2,
            "rejects": []}  # fmt: skip


@pytest.fixture
def store(stack: LocalStack) -> ImportStore:
    found = ImportStore(stack.tables["main"], stack.client("dynamodb"))
    found.start("imp1", {"filename": "a.csv", "encoding": "utf-8", "mapping": {}, "by": "ana",
                         "started_at": NOW.isoformat()}, NOW)  # fmt: skip
    return found


def test_a_chunk_is_recorded_once_and_only_in_its_turn(store: ImportStore) -> None:
    assert store.finish_chunk("imp1", 1, _result(5), None, NOW) is False  # not its turn
    assert store.finish_chunk("imp1", 0, _result(10, 2), ["email", "name"], NOW) is True
    assert store.finish_chunk("imp1", 0, _result(10, 2), ["email", "name"], NOW) is False
    assert store.finish_chunk("imp1", 1, _result(5), None, NOW) is True
    meta = store.get("imp1")
    assert meta is not None
    assert (meta["chunks_done"], meta["rows_applied"], meta["rows_rejected"]) == (2, 13, 2)
    assert meta["next_line"] == 2 + 15 and meta["header"] == ["email", "name"]
    assert [c["rows"] for c in store.chunks("imp1")] == [10, 5]
    assert store.chunk("imp1", 0) is not None and store.chunk("imp1", 7) is None


def test_an_import_id_is_started_once(store: ImportStore) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        store.start("imp1", {"filename": "b.csv"}, NOW)
