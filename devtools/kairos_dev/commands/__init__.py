"""`kairos` subcommands: each module here exposes `register(subparsers)`.

A module registers its parser and sets `func` to a callable taking the parsed
arguments and returning the exit code; `kairos_dev.cli` discovers them all.
"""
