"""Helpers for the live-source tests (a module of its own, not conftest, so test files import
it by a name no other test directory uses)."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_sources(path: Path, *entries: dict) -> Path:
    path.write_text(yaml.safe_dump({"sources": list(entries)}), encoding="utf-8")
    return path
