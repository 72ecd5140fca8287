"""The doctor's vocabulary: levels, checks (catalog queries), and what they find.

Each check carries a `bad`/`good` SQL pair: `bad` creates the problem in a migrated
database, `good` (run after it) fixes it. Tests run both; docs/doctor.md shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import psycopg
from psycopg.rows import dict_row

# Schemas Supabase (or an extension) manages, and our own bookkeeping: not the app's
# objects to judge, except where a check is about them (bookkeeping-exposed).
MANAGED_SCHEMAS = (
    "pg_catalog", "information_schema", "pg_toast", "auth", "storage", "realtime", "_realtime",
    "supabase_functions", "supabase_migrations", "extensions", "graphql", "graphql_public",
    "pgsodium", "pgsodium_masks", "vault", "net", "cron", "pgbouncer", "_analytics", "pgtle",
    "topology", "tiger", "tiger_data", "supakit_migrations",
)
API_ROLES = ("anon", "authenticated")


class Level(IntEnum):
    INFO = 1
    WARN = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r}: use error, warn or info") from None


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
    api_roles: tuple[str, ...] = ()

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        params = {"exposed": list(self.exposed), "managed": list(MANAGED_SCHEMAS), "api_roles": list(self.api_roles), **params}
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    group: str
    summary: str
    why: str
    fix: str
    run: Callable[[Context], Iterable[Issue]]
    bad: str = ""
    good: str = ""
    default: bool = True  # off-by-default checks run only when named (`supakit doctor --check ID`)


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    object: str
    message: str
    why: str = field(repr=False, default="")
    fix: str = field(repr=False, default="")

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "level": str(self.level), "object": self.object,
            "message": self.message, "why": self.why, "fix": self.fix,
        }


CHECKS: dict[str, Check] = {}


def check(
    id: str, level: Level, group: str, summary: str, *, why: str, fix: str, bad: str = "", good: str = "",
    default: bool = True,
) -> Callable[[Callable[[Context], Iterable[Issue]]], Callable[[Context], Iterable[Issue]]]:
    """Register a check function under its id, with the text the report shows."""

    def register(func: Callable[[Context], Iterable[Issue]]) -> Callable[[Context], Iterable[Issue]]:
        CHECKS[id] = Check(id, level, group, summary, why, fix, func, bad, good, default)
        return func

    return register


NOT_EXTENSION_MEMBER = """not exists (
  select 1 from pg_catalog.pg_depend d
  where d.objid = {oid} and d.classid = {catalog}::regclass and d.deptype = 'e'
)"""


def not_extension_member(oid: str, catalog: str = "'pg_catalog.pg_class'") -> str:
    """SQL condition: the object was not created by an extension (not the app's to change)."""
    return NOT_EXTENSION_MEMBER.format(oid=oid, catalog=catalog)
