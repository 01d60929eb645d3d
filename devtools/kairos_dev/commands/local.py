"""`kairos local DIR [--port 3000] [--console-user NAME:ROLE]... [--backend memory
[--simulate-until TIME]]`: the pipeline in real time on 127.0.0.1, and the console."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime, time, timedelta
from typing import Any


def _until(value: str) -> datetime | str:
    """An ISO 8601 time with an offset, or a date (the end of that day in the brand's
    time zone, resolved once the project is read)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date or time") from None
    if len(value) == 10:
        return value  # a date
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an offset, e.g. +08:00")
    return moment


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the whole pipeline and the console locally in real time",
        description=(
            "Start the embedded AWS emulator (or the memory backend), create the stack's "
            "tables, secrets and queues, and serve POST /line/webhook, /shop/orders and "
            "/events, the admin API and the console (/console/) on 127.0.0.1 until "
            "interrupted. Secrets come from KAIROS_LINE_CHANNEL_SECRET, "
            "KAIROS_LINE_CHANNEL_TOKEN and KAIROS_WEBHOOK_SECRET (development defaults "
            "when unset; see docs/local.md). The console's development sign-in offers the "
            "--console-user users (docs/console.md)."
        ),
    )
    parser.add_argument("project", metavar="DIR", help="brand project directory")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--console-user",
        action="append",
        metavar="NAME:ROLE",
        help="a console user to sign in as (role staff, marketer or admin); repeatable; "
        "default admin:admin and staff:staff",
    )
    parser.add_argument(
        "--backend",
        choices=("emulator", "memory"),
        default="emulator",
        help="where the local AWS lives: the embedded emulator (default) or this "
        "process's memory (fast; what --simulate-until needs)",
    )
    parser.add_argument(
        "--simulate-until",
        type=_until,
        metavar="TIME",
        help="with --backend memory: first simulate DIR's members.csv and events.jsonl "
        "up to TIME (ISO 8601, or a date: the end of that day in the brand's time zone), "
        "then serve that store",
    )
    parser.set_defaults(func=run)


def _console_users(args: argparse.Namespace) -> list[str] | None:
    from kairos_dev.local.console_auth import parse_users

    parse_users(args.console_user)  # refuses a bad one before anything starts
    return list(args.console_user or []) or None


def _end_of(day: str, project: str) -> datetime:
    from kairos.project import load_settings

    zone = load_settings(project).zone
    return datetime.combine(datetime.fromisoformat(day).date(), time(), zone) + timedelta(days=1)


def run(args: argparse.Namespace) -> int:
    from kairos_dev.local.console_auth import ConsoleUserError

    try:
        users = _console_users(args)
    except ConsoleUserError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.simulate_until is not None and args.backend != "memory":
        print("--simulate-until needs --backend memory", file=sys.stderr)
        return 2
    if args.backend == "memory":
        return _serve_memory(args, users)
    from kairos_dev.local.runtime import LocalRuntime

    runtime = LocalRuntime.start(args.project, port=args.port, console_users=users)
    print(f"Kairos local: {runtime.api.url}  (emulator {runtime.emulator.endpoint})")
    _print_routes(runtime.api)
    if runtime.fake_line is not None:
        print(f"  LINE messages go to the local fake LINE API at {runtime.fake_line.url}")
    print("Function logs: .kairos/logs/local.jsonl (`kairos --verbose local` shows them here)")
    return _wait(runtime.stop)


def _serve_memory(args: argparse.Namespace, users: list[str] | None) -> int:
    from kairos_dev.local.console_memory import MemoryRuntime
    from kairos_dev.local.simulator import SimulationInputError

    until = args.simulate_until
    if isinstance(until, str):
        until = _end_of(until, args.project)
    if until is not None:
        print(f"Simulating {args.project} up to {until.isoformat()} on the memory backend …")
    try:
        runtime = MemoryRuntime.start(
            args.project, port=args.port, simulate_until=until, console_users=users
        )
    except SimulationInputError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if until is not None:
        print(f"  {runtime.simulated} events applied, {runtime.deliveries} delivery attempts")
    now = runtime.now()
    print(f"Kairos local: {runtime.url}  (memory backend, its time {now:%Y-%m-%d %H:%M} UTC)")
    _print_routes(runtime.api)
    print("Function logs: .kairos/logs/local.jsonl (`kairos --verbose local` shows them here)")
    return _wait(runtime.stop)


def _print_routes(api: Any) -> None:
    print("  POST /line/webhook   X-Line-Signature")
    print("  POST /shop/orders    X-Kairos-Signature or X-Shopify-Hmac-Sha256")
    print("  POST /events         X-Kairos-Signature")
    users = ", ".join(f"{u.username} ({u.role})" for u in api.tokens.users)
    print(f"Console: {api.console_url}  (sign in as {users})")


def _wait(stop: Any) -> int:
    print("Ctrl-C to stop.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0
