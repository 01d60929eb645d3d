"""The delivery domain's boundaries: it reaches AWS only through its ports (and the
channel adapters), and the DynamoDB stores offer every port operation it names."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from kairos.delivery import ports
from kairos.delivery.idempotency import PersistenceClaims
from kairos.store.deliveries import DeliveryStore
from kairos.store.limits import LimitStore
from kairos.store.redelivery import QueueRedelivery

DELIVERY = Path(ports.__file__).parent
AWS_SDKS = {"boto3", "botocore"}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_domain_module_imports_an_aws_sdk() -> None:
    # Given every module of kairos.delivery except the channel adapters
    domain = [p for p in DELIVERY.rglob("*.py") if "channels" not in p.relative_to(DELIVERY).parts]
    assert len(domain) > 10
    # Then none imports boto3 or botocore
    offenders = {p.name: _imported(p) & AWS_SDKS for p in domain if _imported(p) & AWS_SDKS}
    assert offenders == {}


def _operations(protocol: type) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("adapter", "port"),
    [
        (DeliveryStore, ports.MemberLookup),
        (DeliveryStore, ports.FrequencyWindows),
        (DeliveryStore, ports.DeliveryLog),
        (DeliveryStore, ports.StepCounters),
        (LimitStore, ports.RateCounters),
        (LimitStore, ports.MonthlyQuota),
        (QueueRedelivery, ports.Redelivery),
        (PersistenceClaims, ports.DeliveryClaims),
    ],
)
def test_each_adapter_offers_its_ports_operations(adapter: type, port: type) -> None:
    wanted = _operations(port)
    assert wanted, f"{port.__name__} names no operation"
    offered = {name: list(inspect.signature(getattr(adapter, name)).parameters) for name in wanted if hasattr(adapter, name)}  # fmt: skip
    assert offered == wanted
