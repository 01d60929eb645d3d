"""The `kairos` command line: discovers subcommands in `kairos_dev.commands`.

Common to every command: `--version`; `--verbose` to see the functions' JSON log lines
(otherwise in `.kairos/logs/<command>.jsonl`); AWS configuration problems (no region,
no credentials, an endpoint that does not answer) as one line with the fix, exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kairos_dev import commands


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return str(version("kairos"))
    except PackageNotFoundError:
        from kairos import __version__

        return str(__version__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kairos", description="Kairos: customer journeys over LINE, email and SMS."
    )
    parser.add_argument("--version", action="version", version=f"kairos {_version()}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the functions' JSON log lines on standard error (always kept in "
        ".kairos/logs/COMMAND.jsonl)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from kairos_dev.errors import aws_problem
    from kairos_dev.logs import function_logs

    args = build_parser().parse_args(argv)
    try:
        with function_logs(args.command, verbose=args.verbose):
            code: int = args.func(args)
    except Exception as exc:
        problem = aws_problem(exc)
        if problem is None:
            raise
        print(f"kairos {args.command}: {problem}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
