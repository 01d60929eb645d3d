"""The console's members import through the real webhook handler on the memory backend:
preview, start, chunks of whole records (chunk 0 with the header), progress, the
rejects as CSV, the audit trail, and a re-import (or a retried chunk) changing nothing."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from kairos.models.member import Member
from kairos.store.members import MemberRepository
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.simulator import Simulation
from tests.e2e.journey_builder import BrandProject, at

NOW = datetime.fromisoformat(at("2026-03-10T12:00"))
MARKETER = {"cognito:username": "ana", "email": "ana@brand.example", "cognito:groups": "marketer"}
HEADER = "姓名,電子郵件,城市,標籤\n"


@pytest.fixture
def sim(tmp_path: Any) -> Iterator[Simulation]:
    project = BrandProject(tmp_path)
    saved = dict(os.environ)
    simulation = Simulation.start(str(project.root), NOW, backend="memory")
    try:
        yield simulation
    finally:
        simulation.stop()
        os.environ.clear()
        os.environ.update(saved)


def call(
    sim: Simulation, method: str, path: str, body: bytes = b""
) -> tuple[int, str, dict[str, str]]:
    event = proxy_event(method, f"/console/api/{path}", {}, body, int(NOW.timestamp() * 1000))
    event["requestContext"]["authorizer"] = {"claims": MARKETER}
    result = sim.host.invoke("webhook", event)
    headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
    text = result.get("body") or ""
    if result.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return int(result["statusCode"]), text, headers


def jcall(sim: Simulation, method: str, path: str, body: bytes = b"") -> tuple[int, Any]:
    status, text, _ = call(sim, method, path, body)
    return status, json.loads(text)


def rows(count: int, bad_every: int = 0) -> list[str]:
    out = []
    for i in range(count):
        email = "not-an-email" if bad_every and i % bad_every == 0 else f"m{i}@example.com"
        out.append(f"會員{i},{email},台北,vip;匯入\n")
    return out


def chunks(records: list[str], per: int) -> list[str]:
    parts = ["".join(records[i : i + per]) for i in range(0, len(records), per)]
    parts[0] = HEADER + parts[0]
    return parts


def start(sim: Simulation, filename: str = "members.csv") -> str:
    mapping = {"name": "姓名", "email": "電子郵件", "city": "城市", "tags": "標籤"}
    body = {"mapping": mapping, "encoding": "utf-8", "filename": filename, "size": 1}
    status, started = jcall(sim, "POST", "imports", json.dumps(body).encode())
    assert status == 201
    return str(started["import_id"])


def member(sim: Simulation, email: str) -> Member | None:
    repo = MemberRepository(sim.stack.tables["main"], sim.stack.client("dynamodb"))
    member_id = repo.find("email", email)
    return repo.get(member_id) if member_id else None


def test_a_big5_file_previews_with_its_mapping_and_problems(sim: Simulation) -> None:
    text = HEADER + "陳小美,mei@example.com,台北,vip\n林大明,nope,台中,\n"
    status, shown = jcall(sim, "POST", "imports/preview", text.encode("big5"))
    assert status == 200
    assert shown["encoding"] == "big5"
    assert shown["mapping"] == {"name": "姓名", "email": "電子郵件", "city": "城市", "tags": "標籤"}
    assert shown["rows"][0]["values"]["姓名"] == "陳小美"
    assert shown["problems"] == [
        {"line": 3, "column": "電子郵件", "reason": "Value error, not an email address"}
    ]
    status, refused = jcall(sim, "POST", "imports/preview", "名前\nさくら\n".encode("shift_jis"))
    assert status == 400 and "neither UTF-8 nor Big5" in refused["error"]


def test_chunks_apply_once_in_order_and_the_rejects_download(sim: Simulation) -> None:
    # Given 3,000 rows, every 500th with a bad email, sent as 6 chunks
    parts = chunks(rows(3000, bad_every=500), 500)
    import_id = start(sim)
    began = time.perf_counter()
    answers = [
        jcall(sim, "POST", f"imports/{import_id}/chunks/{n}", p.encode())
        for n, p in enumerate(parts)
    ]
    elapsed = time.perf_counter() - began
    print(f"\nconsole import: {3000 / elapsed:.0f} rows/s on the memory backend")
    assert [s for s, _ in answers] == [200] * 6
    assert sum(a["applied"] for _, a in answers) == 2994
    assert sum(a["rejected"] for _, a in answers) == 6

    # When chunk 2 is sent again (a retry), or chunk 9 out of order
    status, again = jcall(sim, "POST", f"imports/{import_id}/chunks/2", parts[2].encode())
    assert status == 200 and again["repeated"] is True and again["applied"] == 500 - 1
    status, early = jcall(sim, "POST", f"imports/{import_id}/chunks/9", parts[2].encode())
    assert status == 400 and "send chunk 6 first" in early["error"]

    # Then the progress counts each chunk once
    status, shown = jcall(sim, "GET", f"imports/{import_id}")
    assert status == 200
    assert (shown["chunks_done"], shown["rows_applied"], shown["rows_rejected"]) == (6, 2994, 6)
    assert shown["by"] == "ana" and shown["filename"] == "members.csv"

    # And the rejects are a CSV of the original rows with line, column and reason
    status, text, headers = call(sim, "GET", f"imports/{import_id}/rejects")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rejected = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["_line"]) for r in rejected] == [2 + 500 * k for k in range(6)]
    assert rejected[0]["_column"] == "電子郵件" and rejected[0]["電子郵件"] == "not-an-email"

    # And the members are there, with their tags
    found = member(sim, "m1@example.com")
    assert found is not None and sorted(found.tags) == ["vip", "匯入"]
    assert found.profile["name"] == "會員1" and found.profile["city"] == "台北"


def test_importing_the_same_file_again_changes_nothing(sim: Simulation) -> None:
    parts = chunks(rows(50), 20)
    first = start(sim)
    for n, part in enumerate(parts):
        jcall(sim, "POST", f"imports/{first}/chunks/{n}", part.encode())
    before = member(sim, "m3@example.com")
    second = start(sim)
    for n, part in enumerate(parts):
        status, _ = jcall(sim, "POST", f"imports/{second}/chunks/{n}", part.encode())
        assert status == 200
    after = member(sim, "m3@example.com")
    assert before is not None and after is not None
    assert after.version == before.version


def test_each_import_is_in_the_audit_trail(sim: Simulation) -> None:
    import_id = start(sim, "spring.csv")
    jcall(sim, "POST", f"imports/{import_id}/chunks/0", chunks(rows(3), 3)[0].encode())
    entries, _ = sim.host.services("webhook").audit.page(limit=10)
    actions = [(e.action, e.by, e.detail.get("filename")) for e in entries]
    assert ("import.started", "ana", "spring.csv") in actions
    assert ("import.chunk", "ana", "spring.csv") in actions


def test_an_unknown_import_is_named(sim: Simulation) -> None:
    status, body = jcall(sim, "GET", "imports/nope")
    assert (status, body["error"]) == (404, "no import nope")
    status, body = jcall(sim, "POST", "imports/nope/chunks/0", HEADER.encode())
    assert (status, body["error"]) == (404, "no import nope")
