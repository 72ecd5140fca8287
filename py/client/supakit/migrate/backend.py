"""yoyo's Postgres backend with its tables moved into the bookkeeping schema.

yoyo creates `_yoyo_migration`, `_yoyo_log`, `_yoyo_version` and `yoyo_lock` in
the current schema: `public`, which PostgREST exposes and which Supabase grants
to the API roles. Here the same tables live in `supakit_migrations`, where plain
`yoyo apply` finds them too with `?schema=supakit_migrations` in its URL.
"""

from __future__ import annotations

from typing import Any

from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import parse_uri

from ..dburl import with_dialect

SCHEMA = "supakit_migrations"
MIGRATION_TABLE = "_yoyo_migration"
YOYO_TABLES = frozenset({MIGRATION_TABLE, "_yoyo_log", "_yoyo_version", "yoyo_lock"})

BOOKKEEPING_SQL = f"""
create schema if not exists {SCHEMA};
comment on schema {SCHEMA} is 'supakit migrator bookkeeping: never expose through PostgREST';
revoke all on schema {SCHEMA} from public;
create table if not exists {SCHEMA}.checksums (
  kind text not null check (kind in ('versioned', 'repeatable')),
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  primary key (kind, name)
);
"""


class BookkeepingBackend(PostgresqlPsycopgBackend):
    """Qualifies yoyo's own table names with the bookkeeping schema."""

    def quote_identifier(self, s: str) -> str:
        if s in YOYO_TABLES:
            return f'"{SCHEMA}"."{s}"'
        return super().quote_identifier(s)

    def list_tables(self, **kwargs: Any) -> list[str]:
        cursor = self.execute(
            "select table_name from information_schema.tables where table_schema = :schema",
            {"schema": SCHEMA},
        )
        return [row[0] for row in cursor.fetchall()]

    def cursor(self):
        return _StatementNamingCursor(super().cursor())


class _StatementNamingCursor:
    """Attaches the failing statement to the error, so the report can quote it."""

    def __init__(self, cursor: Any):
        self._cursor = cursor

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._cursor.execute(statement, *args, **kwargs)
        except Exception as exc:
            exc.supakit_statement = statement  # type: ignore[attr-defined]
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def yoyo_url(url: str) -> str:
    """yoyo reads `postgresql://` as psycopg2; psycopg 3 has its own scheme."""
    return with_dialect(url, "psycopg")


def open_backend(url: str) -> BookkeepingBackend:
    """A fresh backend per run: yoyo's lock state is per object and can go stale."""
    backend = BookkeepingBackend(parse_uri(yoyo_url(url)), MIGRATION_TABLE)
    backend.init_database()
    return backend
