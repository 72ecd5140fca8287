"""Transports: how an `Op` reaches the database.

- `RestTransport` / `AsyncRestTransport`: through supabase-py's PostgREST client
  (the REST API and RPC, exactly as an app calling Supabase does), sync or async.
- `PoolTransport`: as SQL over a `supakit.pool.Pool`, acting as the caller per
  transaction the way PostgREST does.

Each has `send(op) -> JSON` (errors mapped to `supakit.client.errors`) and
`run(plan)`, which drives a service's plan with it. `user_id` is the caller's
`sub` claim, for operations on "my" rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import psycopg

from .errors import from_postgres, from_postgrest
from .ops import Op, adrive, drive
from .sql import compile_op

if TYPE_CHECKING:
    from ..pool import Pool

# postgrest-py's filter methods, by our operator names.
FILTER_METHODS = {"eq": "eq", "neq": "neq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "is": "is_", "in": "in_"}


def build_request(postgrest: Any, op: Op) -> Any:
    """The postgrest-py request builder for `op` (sync and async builders share this API)."""
    if op.action == "rpc":
        return postgrest.rpc(op.target, op.payload or {})
    table = postgrest.from_(op.target)
    if op.action == "select":
        query = table.select("*")
    elif op.action == "insert":
        query = table.insert(op.payload)
    elif op.action == "upsert":
        query = table.upsert(op.payload, on_conflict=op.on_conflict or "")
    elif op.action == "update":
        query = table.update(op.payload)
    else:
        query = table.delete()
    for f in op.filters:
        query = getattr(query, FILTER_METHODS[f.operator])(f.column, f.value)
    for column, descending in op.order:
        query = query.order(column, desc=descending)
    if op.limit is not None:
        query = query.limit(op.limit)
    if op.offset is not None:
        query = query.offset(op.offset)
    return query


class RestTransport:
    """Requests through a `supabase.Client` (its PostgREST client and HTTP session)."""

    def __init__(self, supabase: Any, user_id: str | None = None):
        self.supabase = supabase
        self.user_id = user_id

    def send(self, op: Op) -> Any:
        from postgrest import APIError

        try:
            return build_request(self.supabase.postgrest, op).execute().data
        except APIError as exc:
            raise from_postgrest(exc) from None

    def run(self, build: Any) -> Any:
        return drive(build, self.send)

    def close(self) -> None:
        self.supabase.postgrest.aclose()  # postgrest-py's sync client names its close `aclose`


class AsyncRestTransport:
    """Requests through a `supabase.AsyncClient`; `run` returns a coroutine."""

    def __init__(self, supabase: Any, user_id: str | None = None):
        self.supabase = supabase
        self.user_id = user_id

    async def send(self, op: Op) -> Any:
        from postgrest import APIError

        try:
            return (await build_request(self.supabase.postgrest, op).execute()).data
        except APIError as exc:
            raise from_postgrest(exc) from None

    def run(self, build: Any) -> Any:
        return adrive(build, self.send)

    async def close(self) -> None:
        await self.supabase.postgrest.aclose()


class PoolTransport:
    """Requests as SQL over a `Pool`, each one transaction acting as `claims`."""

    def __init__(self, pool: Pool, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                 schema: str = "public"):
        self.pool = pool
        self.claims = dict(claims)
        self.headers = dict(headers or {})
        self.schema = schema
        sub = self.claims.get("sub")
        self.user_id = str(sub) if sub and self.claims.get("role") == "authenticated" else None

    def send(self, op: Op) -> Any:
        query, params = compile_op(op, self.schema)
        try:
            with self.pool.request(self.claims, self.headers, op.method, op.path) as conn:
                return conn.execute(query, params).fetchone()[0]
        except psycopg.Error as exc:
            if exc.sqlstate is None:  # not the server's answer: a connection problem
                raise
            raise from_postgres(exc) from None

    def run(self, build: Any) -> Any:
        return drive(build, self.send)

    def close(self) -> None:
        """The pool belongs to whoever opened it: nothing to release per client."""
