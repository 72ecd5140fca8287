"""The database doctor: a live database checked against what keeps a Supabase project safe and fast.

    findings = diagnose(conn, exposed=("public",))

Each check is a catalog query (modules `rls`, `exposure`, `functions`, `generated`, `indexes`, `limits`);
policy expressions and function bodies are read with Postgres' own parser (pglast).
The doctor only reads: it runs in a read-only transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from . import rls, exposure, functions, generated, indexes, limits  # noqa: F401,I001  (register the checks, in report order)
from . import distribution  # noqa: F401  (off by default: `--check distribution-blockers`)
from ..findings import Finding, Level
from .checks import CHECKS, END_USER_ROLES, Check, Context

__all__ = ["CHECKS", "Check", "Finding", "Level", "diagnose"]


def diagnose(
    conn: psycopg.Connection, exposed: Iterable[str] = ("public",), only: Iterable[str] | None = None
) -> list[Finding]:
    """Run every default check (or those named in `only`, off-by-default ones too); most severe first."""
    chosen = [CHECKS[name] for name in only] if only is not None else [c for c in CHECKS.values() if c.default]
    findings: list[Finding] = []
    with conn.transaction():
        if conn.autocommit:
            conn.execute("set transaction read only")
        present = conn.execute(
            "select array(select rolname::text from pg_catalog.pg_roles where rolname = any(%s) order by 1)",
            (list(END_USER_ROLES),),
        ).fetchone()[0]
        ctx = Context(conn, tuple(exposed), tuple(present))
        for check in chosen:
            for issue in check.run(ctx):
                findings.append(Finding.of(check, issue.message, object=issue.object, level=issue.level))
    return sorted(findings, key=lambda f: (-f.level, f.rule, f.object))
