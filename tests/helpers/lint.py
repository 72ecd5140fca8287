"""Linting SQL in tests: the lock timeout most examples start with, rule ids found, files written."""

from __future__ import annotations

from pathlib import Path

from supakit.lint import lint_text

TIMEOUT = "set lock_timeout = '5s';\n"


def rules_of(sql: str, **kwargs) -> list[str]:
    return [f.rule for f in lint_text(sql, **kwargs)]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
