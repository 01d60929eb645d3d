"""Where the app finds the code it ships and where it keeps build output."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root (the directory holding `cdk.json` and `pyproject.toml`)."""

BUILD = ROOT / "build"
"""Local build cache (git-ignored): layer dependencies and staged asset directories."""

FUNCTIONS = ROOT / "functions"
PACKAGE = ROOT / "layers" / "kairos"
PYPROJECT = ROOT / "pyproject.toml"
LAYER_LOCK = ROOT / "requirements" / "layer.txt"
"""Runtime dependencies of the shared layer, pinned with hashes (`make lock`)."""
DEV_LOCK = ROOT / "requirements" / "dev.txt"
"""Everything the dev install, CI and tests use, pinned with hashes (`make lock`)."""
