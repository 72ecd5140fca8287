"""`supakit db diff`: what was changed by hand in the local database, as SQL.

Like `supabase db diff`: a shadow database is built from the project's files
(bootstrap, migrations, repeatables) beside the local one, and migra (the
maintained fork `migradiff`; see docs/migrations.md for why that one) writes the
statements that turn the shadow into the local database. With a name, the
statements become the next migration, except policies and functions, which belong
in the repeatable files and are written there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlparse

from ..errors import ConfigError
from ..project import Project
from ..providers.base import PostgresServer

# Extensions the local stack itself enables in its database (pg_cron lives in one
# database only, so the shadow cannot have it): never part of a diff.
STACK_EXTENSIONS = ("pg_cron",)

# Schemas that are Supabase's or supakit's own, never the project's to diff.
MANAGED_SCHEMAS = frozenset({
    "auth", "extensions", "storage", "graphql", "graphql_public", "realtime", "vault", "pgsodium",
    "supabase_functions", "supabase_migrations", "supakit_migrations", "cron", "tests",
    "information_schema", "pg_catalog", "pg_toast",
})

_POLICY = re.compile(r'^\s*(create|drop|alter)\s+policy\b.*?\bon\s+("?[\w]+"?\.)?"?(?P<table>\w+)"?', re.I | re.S)
_FUNCTION = re.compile(r"^\s*create\s+(or\s+replace\s+)?function\s+(?P<name>[\w\".]+)", re.I)


def _load_migra():
    try:
        from migra import Migration
        from sqlbag import S
    except ImportError as exc:
        raise ConfigError(f"supakit db diff needs migra ({exc.name} is missing): pip install 'supakit[diff]'") from exc
    return Migration, S


def project_schemas(server: PostgresServer, *dbnames: str) -> list[str]:
    """The schemas to diff: every non-managed schema in any of the databases, `public` last
    (it usually uses what the others define)."""
    found: set[str] = set()
    for name in dbnames:
        with server.connect(name) as conn:
            rows = conn.execute(
                "select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'"
            ).fetchall()
        found |= {r[0] for r in rows} - MANAGED_SCHEMAS
    return sorted(found, key=lambda s: (s == "public", s))


def diff_databases(server: PostgresServer, source: str, target: str) -> str:
    """SQL turning database `source` into `target`, schema by schema, privileges included."""
    Migration, S = _load_migra()
    parts: list[str] = []
    url = lambda name: server.url(name, dialect="psycopg2")  # noqa: E731  (migra reads SQLAlchemy URLs)
    with S(url(source)) as from_session, S(url(target)) as to_session:
        for schema in project_schemas(server, source, target):
            migration = Migration(from_session, to_session, schema=schema)
            migration.set_safety(False)
            migration.add_all_changes(privileges=True)
            kept = [s for s in sqlparse.split(migration.sql) if s.strip() and not _stack_extension(s)]
            if any(not s.strip().lower().startswith("set check_function_bodies") for s in kept):
                parts.append("\n\n".join(s.strip() for s in kept))
    return "\n\n".join(parts).strip() + ("\n" if parts else "")


def _stack_extension(statement: str) -> bool:
    lowered = statement.lower()
    return "extension" in lowered and any(f'"{name}"' in lowered or f" {name} " in lowered for name in STACK_EXTENSIONS)


def build_shadow(server: PostgresServer, project: Project, authenticator_password: str | None) -> str:
    """A database made from the project's files only: what the migrations produce."""
    from ..testing import databases

    return databases.create_migrated(server, databases.unique_name("supakit_shadow"), project, authenticator_password)


@dataclass
class Split:
    """A diff's statements, sorted to where each belongs."""

    migration: list[str] = field(default_factory=list)
    policies: dict[str, list[str]] = field(default_factory=dict)  # table -> statements
    functions: list[str] = field(default_factory=list)


def split(diff_sql: str, with_repeatables: bool) -> Split:
    result = Split()
    for statement in sqlparse.split(diff_sql):
        text = statement.strip()
        if not text or text.lower().startswith("set check_function_bodies"):
            continue
        policy, function = _POLICY.match(text), _FUNCTION.match(text)
        if with_repeatables and policy:
            result.policies.setdefault(policy.group("table"), []).append(text)
        elif with_repeatables and function:
            result.functions.append(text)
        else:
            result.migration.append(text)
    return result


def write_split(project: Project, name: str, parts: Split) -> list[Path]:
    """The migration (and its rollback stub) plus what goes to the repeatable files."""
    from .files import new_migration

    written: list[Path] = []
    if parts.migration:
        forward, backward = new_migration(project, name)
        forward.write_text(forward.read_text() + "\n\n".join(parts.migration) + "\n")
        written.append(forward)
        if backward is not None:
            backward.write_text(
                backward.read_text() + "-- Written by `supakit db diff`: undo the statements of "
                f"{forward.name} here, in reverse order.\n"
            )
            written.append(backward)
    if parts.functions:
        assert project.functions is not None
        project.functions.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        path = project.functions / f"900_{slug}.sql"
        if path.exists():
            raise ConfigError(f"{path} exists: choose another name for the diff")
        path.write_text(f"-- Functions written by `supakit db diff -f {name}`.\n\n" + "\n\n".join(parts.functions) + "\n")
        written.append(path)
    for table, statements in sorted(parts.policies.items()):
        assert project.policies is not None
        project.policies.mkdir(parents=True, exist_ok=True)
        path = project.policies / f"{table}.sql"
        before = path.read_text() if path.exists() else f"-- Policies of {table}.\n"
        path.write_text(before.rstrip("\n") + "\n\n" + "\n\n".join(_idempotent(s) for s in statements) + "\n")
        written.append(path)
    return written


def _idempotent(statement: str) -> str:
    """A repeatable file is re-run whole: a `create policy` needs its `drop policy if exists`."""
    match = re.match(r'^\s*create\s+policy\s+("[^"]+"|\w+)\s+on\s+(\S+)', statement, re.I)
    if not match:
        return statement
    return f"drop policy if exists {match.group(1)} on {match.group(2)};\n{statement}"
