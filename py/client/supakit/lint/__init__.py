"""Safe-migration lint: Postgres' own parser (pglast) reads the SQL; rules report file:line.

    findings, checked = lint_paths([Path("sql")])

Modules: `source` (parsing, lines, headers), `context` (what each statement sees),
`rules` (the checks), `catalog` (ids, why, safe way, examples), `suppress`, `output`.
A rule is a `supakit.findings.Rule` (`LintRule` adds the file kinds it applies to) and a
finding a `supakit.findings.Finding`: the doctor's model, rendered by the same output.
"""

from ..findings import Finding, Rule
from .catalog import RULES, RULES_BY_ID, LintRule
from .context import LintConfig
from .engine import collect, lint_file, lint_paths, lint_text
from .source import FileKind

__all__ = [
    "RULES", "RULES_BY_ID", "FileKind", "Finding", "LintConfig", "LintRule", "Rule",
    "collect", "lint_file", "lint_paths", "lint_text",
]
