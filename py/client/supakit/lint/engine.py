"""Running the rules over files and directories, suppressions applied."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from ..findings import Finding
from . import rules, suppress
from .catalog import RULES_BY_ID
from .context import LintConfig, build
from .rules import Hit
from .source import FileKind, SqlFile, load, parse_text


def lint_file(sql: SqlFile, config: LintConfig | None = None) -> list[Finding]:
    config = config or LintConfig()
    if sql.parse_error is not None:
        line, message = sql.parse_error
        hits = [Hit("parse-error", line, message)]
    else:
        hits = suppress.apply(sql, rules.run(build(sql, config)))
    return [Finding.of(RULES_BY_ID[h.rule], h.message, path=sql.display, line=h.line) for h in hits]


def lint_text(
    text: str, path: str | Path = "example.sql", config: LintConfig | None = None, kind: FileKind | None = None
) -> list[Finding]:
    """Lint SQL that is not (necessarily) on disk; by default as a plain script (kind OTHER)."""
    path = Path(path)
    return lint_file(parse_text(text, path, str(path), kind or FileKind.OTHER), config)


def collect(paths: Iterable[Path]) -> list[Path]:
    """The .sql files named or under the named directories, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.sql") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    unique: dict[Path, None] = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def lint_paths(paths: Iterable[Path], config: LintConfig | None = None) -> tuple[list[Finding], int]:
    """(findings, number of files checked)."""
    files = collect(paths)
    findings: list[Finding] = []
    for path in files:
        findings.extend(lint_file(load(path, display(path)), config))
    return findings, len(files)
