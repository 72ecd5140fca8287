"""A versioned migration, yoyo's record of it and our checksum: one transaction.

yoyo applies a migration's steps and commits, then marks it applied in a second
transaction; a crash (kill -9 of Postgres, a lost connection) between the two
leaves the schema changed but the migration pending, and the next run applies it
again. Here the steps run in savepoints of one transaction that also writes the
mark, the log row and the checksum: after a crash either all of it is there or
none. A `-- transactional: false` migration (`create index concurrently`) cannot
be inside a transaction: yoyo's own path, then the record.

yoyo prints the rows a statement returns; they go to stderr, so that stdout
stays what the command says (`supakit up --json` is one JSON document).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import psycopg

from .backend import SCHEMA, BookkeepingBackend

RECORD_SQL = (
    f"insert into {SCHEMA}.checksums (kind, name, checksum) values ('versioned', :name, :checksum) "
    "on conflict (kind, name) do update set checksum = excluded.checksum, applied_at = now()"
)


def apply_recorded(
    backend: BookkeepingBackend, migration, checksum: str, record: Callable[[], None]
) -> None:
    """Apply `migration` with its mark and `checksum` committed together (or, if not transactional, after)."""
    with redirect_stdout(sys.stderr):
        _apply(backend, migration, checksum, record)


def _apply(backend: BookkeepingBackend, migration, checksum: str, record: Callable[[], None]) -> None:
    migration.load()
    if not migration.use_transactions:
        backend.apply_one(migration)
        record()
        return
    backend.ensure_internal_schema_updated()
    with backend.copy() as mb:
        with mb.transaction():
            migration.process_steps(mb, "apply")
            mb.mark_one(migration, log=False)
            mb.log_migration(migration, "apply")
            mb.execute(RECORD_SQL, {"name": migration.id, "checksum": checksum})


def error_line(path: Path, statement: str | None, exc: psycopg.Error | None = None) -> int | None:
    """The line in `path` where the failing statement (or the exact spot Postgres names) is."""
    if not statement:
        return None
    try:
        text = path.read_text()
    except OSError:
        return None
    body = statement.strip()
    found = text.find(body)
    if not body or found < 0:
        return None
    at = found  # where the statement starts in the file
    position = getattr(getattr(exc, "diag", None), "statement_position", None)
    if position:  # 1-based, counted in the statement as sent
        at = min(found - statement.index(body) + int(position) - 1, found + len(body))
    return text.count("\n", 0, max(at, found)) + 1
