"""Safe-migration lint: Postgres' own parser (pglast) reads the SQL; rules report file:line.

    findings, checked = lint_paths([Path("sql")])

Modules: `source` (parsing, lines, headers), `context` (what each statement sees),
`rules` (the checks), `catalog` (ids, why, safe way, examples), `suppress`, `output`.
"""

from .catalog import RULES, RULES_BY_ID, Rule
from .context import LintConfig
from .engine import Finding, collect, lint_file, lint_paths, lint_text
from .source import FileKind

__all__ = [
    "RULES", "RULES_BY_ID", "FileKind", "Finding", "LintConfig", "Rule",
    "collect", "lint_file", "lint_paths", "lint_text",
]
