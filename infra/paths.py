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
