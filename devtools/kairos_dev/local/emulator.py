"""The embedded AWS emulator: moto in server mode, in-process, on a free loopback port.

Real boto3 clients talk to it over HTTP exactly as they talk to AWS, so the handlers,
the store and the channels run unchanged locally, in tests and in the simulator.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import boto3
from moto.server import (  # type: ignore[attr-defined]
    DomainDispatcherApplication,
    MotoRequestHandler,
    ThreadedMotoServer,
    create_backend_app,
)
from werkzeug.serving import make_server

from kairos.store.schema import TABLES, create_table_request, table_name

REGION = "ap-northeast-1"
DEV_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A running moto server; `environ()` gives what boto3 needs to reach it."""

    server: ThreadedMotoServer
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **DEV_CREDENTIALS,
        }

    def activate(self) -> None:
        """Point this process's boto3 at the emulator."""
        os.environ.update(self.environ())

    def client(self, service: str) -> Any:
        factory: Any = boto3.client  # any service by name; the stubs want literals
        return factory(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        """Forget every resource (between tests)."""
        import urllib.request

        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        ).read()

    def create_tables(self, prefix: str) -> dict[str, str]:
        """Create every Kairos table from the shared definitions; returns logical → name."""
        dynamodb = self.client("dynamodb")
        names: dict[str, str] = {}
        for table in TABLES:
            dynamodb.create_table(**create_table_request(prefix, table))
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=table_name(prefix, table),
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
            names[table.logical_id] = table_name(prefix, table)
        return names

    def stop(self) -> None:
        self.server.stop()


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
    """(table, key, copy of the item or None) per transaction item, and the tables'
    stream lengths: what `_restore` puts back when a transaction fails midway."""
    import copy

    saved: list[Any] = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        try:
            table = backend.get_table(op["TableName"])
            if "Item" in op:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = backend.get_item(op["TableName"], key)
        except Exception:
            continue
        shard = table.stream_shard
        saved.append(
            (table, current.hash_key, current.range_key, copy.deepcopy(current), shard)
            if current is not None
            else (table, key, None, None, shard)
        )
    streams = {
        id(t.stream_shard): (t.stream_shard, len(t.stream_shard.items))
        for t, *_rest in saved
        if t.stream_shard is not None
    }
    return [saved, list(streams.values())]


def _restore(backend: Any, saved: list[Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    items, streams = saved
    for table, first, _second, previous, _shard in items:
        if previous is not None:
            if previous.range_key is not None:
                table.items[previous.hash_key][previous.range_key] = previous
            else:
                table.items[previous.hash_key] = previous
            continue
        hash_value = DynamoType(first[table.hash_key_attr])
        if table.range_key_attr is not None:
            range_value = DynamoType(first[table.range_key_attr])
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items.pop(hash_value, None)
    for shard, length in streams:
        del shard.items[length:]


def _fast_transactions() -> None:
    """moto backs up every table a transaction touches with a deep copy, so one
    transaction costs O(table size) and a simulated year grinds to a halt. Under the
    serial app nothing changes between checking and writing, so: check every condition
    first (cancelling with DynamoDB's reasons, nothing written), then apply with the
    table copies turned into no-ops. Stream records are only emitted for committed
    transactions, as on AWS."""
    import copy
    import types

    from moto.dynamodb import models as ddb_models
    from moto.dynamodb.exceptions import TransactionCanceledException

    models: Any = ddb_models  # moto's internals are not typed for export

    if getattr(models.DynamoDBBackend, "_kairos_fast", False):
        return
    original = models.DynamoDBBackend.transact_write_items

    def _deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, models.Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        errors: list[tuple[Any, Any, Any]] = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            condition = op.get("ConditionExpression")
            if condition is None or op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                errors.append((None, None, None))
                continue
            table = self.get_table(op["TableName"])
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(op["TableName"], key)
            check = models.get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if check.expr(current):
                errors.append((None, None, None))
            else:
                errors.append(("ConditionalCheckFailed", "The conditional request failed", None))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        # Any other failure (an item too large, a bad attribute) must leave nothing
        # written either; moto's own rollback restores table copies, which are no-ops
        # here, so keep the touched items and the stream lengths and restore them.
        saved = _touched(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, saved)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items
    models.DynamoDBBackend._kairos_fast = True


def _partition_queries() -> None:
    """moto's Query reads and sorts every item of the table to find one partition, so a
    tick (the same few queries at any size) grows with the table. A query on the table's
    own key reads just that partition: the table's items are kept by partition key."""
    import inspect

    from moto.dynamodb.models.table import Table

    if getattr(Table, "_kairos_partition_query", False):
        return
    original = Table.query
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key = bound.arguments.get("hash_key")
        if bound.arguments.get("index_name") or hash_key is None or not self.range_key_attr:
            return original(self, *args, **kwargs)
        partition = self.items.get(hash_key) or {}
        # Only this call sees the partition alone (the server handles one request at a time).
        self.all_items = lambda: sorted(partition.values(), key=lambda item: item.range_key)
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    Table._kairos_partition_query = True  # type: ignore[attr-defined]


def install_clock(clock: Callable[[], Any] | None) -> None:
    """Run the emulator's clocks on `clock` (the simulator's virtual time): SQS delays
    and visibility timeouts, and the stream records' ApproximateCreationDateTime, which
    the evaluator takes as "now". `None` restores the wall clock."""
    from moto.core import utils as core_utils
    from moto.dynamodb.models import table as ddb_table
    from moto.sqs import models as sqs_models

    if clock is None:
        sqs_models.unix_time = core_utils.unix_time  # type: ignore[attr-defined]
        sqs_models.unix_time_millis = core_utils.unix_time_millis  # type: ignore[attr-defined]
        ddb_table.utcnow = core_utils.utcnow  # type: ignore[attr-defined]
        return

    def unix_time(dt: Any = None) -> float:
        return core_utils.unix_time(dt) if dt is not None else float(clock().timestamp())

    def unix_time_millis(dt: Any = None) -> float:
        return core_utils.unix_time_millis(dt) if dt is not None else unix_time() * 1000

    def utcnow() -> Any:
        return clock().astimezone(UTC).replace(tzinfo=None)

    sqs_models.unix_time = unix_time  # type: ignore[attr-defined]
    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
    ddb_table.utcnow = utcnow  # type: ignore[attr-defined]


def queue_wakeups(queue_name: str) -> list[float]:
    """Epoch seconds at which the named queue's invisible or delayed messages come back
    (read from the in-process emulator, for the simulator's next jump)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.get(queue_name)
    if queue is None:
        return []
    times = []
    for message in queue._messages:
        times.append(max(message.visible_at, message.delayed_until) / 1000)
    return times


def stream_length(table_name: str) -> int:
    """How many records the table's stream holds (in-process peek for the simulator,
    so it reads the stream only when something new is there)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables.get(table_name)
    shard = getattr(table, "stream_shard", None)
    return len(shard.items) if shard is not None else 0


def queue_ready(queue_name: str) -> bool:
    """Does the queue hold a message a receive would return now? (in-process peek)"""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.get(queue_name)
    if queue is None:
        return False
    return any(m.visible and not m.delayed for m in queue._messages)


class _SerialApp:
    """Handles one request at a time. moto's DynamoDB transactions are not atomic under
    concurrent requests (they snapshot tables while another thread writes); AWS's are.
    Serialising restores the guarantee the store relies on; boto3 callers still run
    concurrently, so races between *clients* stay real."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class _KeepAliveHandler(MotoRequestHandler):
    # HTTP/1.0 closes the connection after every request: a new TCP connection per
    # boto3 call. Keep-alive roughly halves the cost of each emulator request.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm and delayed ACKs the
    # second one waits ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True


class _SerialMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _SerialApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=_KeepAliveHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def start_emulator(port: int | None = None) -> Emulator:
    # werkzeug logs every request by default: noise for operators and tests alike.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _fast_transactions()
    _partition_queries()
    from kairos_dev.local import account

    account.install()  # SES GetAccount and the SMS sandbox status, for `kairos doctor`
    chosen = port or free_port()
    server = _SerialMotoServer(ip_address="127.0.0.1", port=chosen, verbose=False)
    server.start()
    return Emulator(server=server, port=chosen)
