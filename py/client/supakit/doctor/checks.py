"""The doctor's vocabulary: checks (catalog queries, each a `supakit.findings.Rule`) and what they find.

Each check carries a `bad`/`good` SQL pair: `bad` creates the problem in a migrated
database, `good` (run after it) fixes it. Tests run both; docs/doctor.md shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..findings import Level, Registry, Rule

# Schemas Supabase (or an extension) manages, and our own bookkeeping: not the app's
# objects to judge, except where a check is about them (bookkeeping-exposed).
MANAGED_SCHEMAS = (
    "pg_catalog", "information_schema", "pg_toast", "auth", "storage", "realtime", "_realtime",
    "supabase_functions", "supabase_migrations", "extensions", "graphql", "graphql_public",
    "pgsodium", "pgsodium_masks", "vault", "net", "cron", "pgbouncer", "_analytics", "pgtle",
    "topology", "tiger", "tiger_data", "supakit_migrations",
)
# The roles an end user's request runs as: what RLS and grants must hold back. Not
# service_role (the project's own key, which bypasses RLS), unlike supakit.db.REQUEST_ROLES.
END_USER_ROLES = ("anon", "authenticated")


@dataclass(frozen=True)
class Issue:
    """One object a check found wrong; `level` overrides the check's own."""

    object: str
    message: str
    level: Level | None = None


@dataclass
class Context:
    conn: psycopg.Connection
    exposed: tuple[str, ...]
    end_user_roles: tuple[str, ...] = ()  # those of END_USER_ROLES the database has

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        params = {"exposed": list(self.exposed), "managed": list(MANAGED_SCHEMAS), "end_user_roles": list(self.end_user_roles), **params}
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()


@dataclass(frozen=True, kw_only=True)
class Check(Rule):
    """A rule of the doctor: a catalog query (`run`), and whether it runs unless named."""

    docs_page: str = field(default="docs/doctor.md", repr=False)
    run: Callable[[Context], Iterable[Issue]]
    default: bool = True  # off-by-default checks run only when named (`supakit doctor --check ID`)


CHECKS: Registry[Check] = Registry()


def check(
    id: str, level: Level, group: str, summary: str, *, why: str, fix: str, bad: str = "", good: str = "",
    default: bool = True,
) -> Callable[[Callable[[Context], Iterable[Issue]]], Callable[[Context], Iterable[Issue]]]:
    """Register a check function under its id, with the text the report shows."""

    def register(func: Callable[[Context], Iterable[Issue]]) -> Callable[[Context], Iterable[Issue]]:
        CHECKS.add(Check(
            id=id, level=level, group=group, summary=summary, why=why, fix=fix, bad=bad, good=good,
            run=func, default=default,
        ))
        return func

    return register


NOT_EXTENSION_MEMBER = """not exists (
  select 1 from pg_catalog.pg_depend d
  where d.objid = {oid} and d.classid = {catalog}::regclass and d.deptype = 'e'
)"""


def not_extension_member(oid: str, catalog: str = "'pg_catalog.pg_class'") -> str:
    """SQL condition: the object was not created by an extension (not the app's to change)."""
    return NOT_EXTENSION_MEMBER.format(oid=oid, catalog=catalog)
