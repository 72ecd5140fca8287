"""Run SQL as PostgREST would for a request: role and JWT claims set per transaction.

PostgREST opens a transaction per request and calls `set_config(..., true)` for
the role, `request.jwt.claims` (always including `role`), method, path and
headers. `act_as` does the same on any psycopg connection, so a worker talking
to Postgres directly sees exactly the rules an API caller does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg

# The roles a PostgREST request may run as (the JWT's `role`), service_role included.
REQUEST_ROLES = ("anon", "authenticated", "service_role")


def request_settings(
    claims: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    path: str = "/",
) -> dict[str, str]:
    role = str(claims.get("role") or "anon")
    if role not in REQUEST_ROLES:
        raise ValueError(f"role {role!r} in claims is not an API role ({', '.join(REQUEST_ROLES)})")
    return {
        "role": role,
        "request.jwt.claims": json.dumps(dict(claims)),
        "request.method": method,
        "request.path": path,
        "request.headers": json.dumps({k.lower(): v for k, v in (headers or {}).items()}),
        "request.cookies": "{}",
        "search_path": "public, extensions",
    }


def settings_query(settings: Mapping[str, str]) -> tuple[str, list[str]]:
    """Transaction-local `set_config` calls as one statement and its parameters."""
    names = list(settings)
    query = "select " + ", ".join("set_config(%s, %s, true)" for _ in names)
    return query, [item for name in names for item in (name, settings[name])]


def apply_settings(conn: psycopg.Connection, settings: Mapping[str, str]) -> None:
    """Transaction-local `set_config` calls, in one round trip."""
    conn.execute(*settings_query(settings))


async def apply_settings_async(conn: psycopg.AsyncConnection, settings: Mapping[str, str]) -> None:
    """`apply_settings` on an async connection."""
    await conn.execute(*settings_query(settings))


@contextmanager
def act_as(
    conn: psycopg.Connection,
    claims: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> Iterator[psycopg.Connection]:
    """A transaction in which `conn` runs as the claims' role, like one PostgREST request."""
    with conn.transaction():
        apply_settings(conn, request_settings(claims, headers))
        yield conn


class ActingConnection:
    """A connection that runs every `execute` as one request of one API caller.

    Each call is its own transaction (commit on success, rollback on error), so a
    refused statement leaves nothing behind and the next call starts clean;
    `transaction()` groups several statements into one request.
    """

    def __init__(self, conn: psycopg.Connection, claims: Mapping[str, Any]):
        self.conn = conn
        self.claims = dict(claims)
        self.headers: dict[str, str] = {}

    def execute(self, query: Any, params: Any = None) -> psycopg.Cursor:
        with act_as(self.conn, self.claims, self.headers):
            return self.conn.execute(query, params)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        with act_as(self.conn, self.claims, self.headers) as conn:
            yield conn

    def close(self) -> None:
        self.conn.close()
