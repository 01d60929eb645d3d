"""Each function's log lines say which function wrote them, as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
from kairos.observability import logger, metrics, tracer
logger.info("hello", extra={"member_id": "m-1"})
print("SERVICES", logger.service, metrics.service, tracer.service)
"""


def run(env: dict[str, str]) -> tuple[dict[str, object], str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    (log,) = [json.loads(line) for line in lines if line.startswith("{")]
    (services,) = [line for line in lines if line.startswith("SERVICES")]
    return log, services


@pytest.mark.parametrize("name", ["webhook", "evaluator", "sender"])
def test_service_name_comes_from_the_environment(name: str) -> None:
    # Given the stack's per-function POWERTOOLS_SERVICE_NAME
    log, services = run({"POWERTOOLS_SERVICE_NAME": name})
    # Then the log line is JSON naming that function, and metrics and traces agree
    assert log["service"] == name
    assert log["message"] == "hello" and log["member_id"] == "m-1"
    assert services == f"SERVICES {name} {name} {name}"


def test_outside_lambda_the_service_is_kairos() -> None:
    env = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_SERVICE_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**env, "POWERTOOLS_TRACE_DISABLED": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"service":"kairos"' in result.stdout.replace(" ", "")
