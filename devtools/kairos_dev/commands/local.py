"""`kairos local DIR [--port 3000]`: the pipeline in real time on 127.0.0.1."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the whole pipeline locally in real time",
        description=(
            "Start the embedded AWS emulator, create the stack's tables, secrets and queues, "
            "and serve POST /line/webhook, /shop/orders and /events on 127.0.0.1 until "
            "interrupted. Secrets come from KAIROS_LINE_CHANNEL_SECRET, "
            "KAIROS_LINE_CHANNEL_TOKEN and KAIROS_WEBHOOK_SECRET (development defaults "
            "when unset; see docs/local.md)."
        ),
    )
    parser.add_argument("project", metavar="DIR", help="brand project directory")
    parser.add_argument("--port", type=int, default=3000)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kairos_dev.local.runtime import LocalRuntime

    runtime = LocalRuntime.start(args.project, port=args.port)
    print(f"Kairos local: {runtime.api.url}  (emulator {runtime.emulator.endpoint})")
    print("  POST /line/webhook   X-Line-Signature")
    print("  POST /shop/orders    X-Kairos-Signature or X-Shopify-Hmac-Sha256")
    print("  POST /events         X-Kairos-Signature")
    if runtime.fake_line is not None:
        print(f"  LINE messages go to the local fake LINE API at {runtime.fake_line.url}")
    print("Function logs: .kairos/logs/local.jsonl (`kairos --verbose local` shows them here)")
    print("Ctrl-C to stop.")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0
