"""As SQL over a pool, each `Op` one transaction acting as the caller, the way PostgREST runs it.

The sync and async twins share everything but the awaits: the compiled query, the
caller's claims, and how a database error becomes a `supakit.client.errors` one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from ..errors import ClientError, from_postgres
from ..ops import Op, adrive, drive
from ..sql import compile_op
from .base import AsyncRequestPool, Build, RequestPool, caller_id


class _Caller:
    """Who a pool transport acts as, and in which schema its queries run."""

    def __init__(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None, schema: str):
        self.claims = dict(claims)
        self.headers = dict(headers or {})
        self.schema = schema
        self.user_id = caller_id(self.claims)
        self.anonymous = str(self.claims.get("role") or "anon") == "anon"  # a refusal means "sign in"


def mapped(exc: psycopg.Error, anonymous: bool) -> ClientError | None:
    """The server's answer as one of ours; None for a connection problem (no SQLSTATE), raised as is."""
    return None if exc.sqlstate is None else from_postgres(exc, anonymous=anonymous)


class PoolTransport(_Caller):
    """Requests as SQL over a `Pool`, each one transaction acting as `claims`."""

    def __init__(self, pool: RequestPool, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                 schema: str = "public"):
        super().__init__(claims, headers, schema)
        self.pool = pool

    def send(self, op: Op) -> Any:
        query, params = compile_op(op, self.schema)
        try:
            with self.pool.request(self.claims, self.headers, op.method, op.path) as conn:
                return conn.execute(query, params).fetchone()[0]
        except psycopg.Error as exc:
            if (error := mapped(exc, self.anonymous)) is None:
                raise
            raise error from exc

    def run(self, build: Build) -> Any:
        return drive(build, self.send)

    def close(self) -> None:
        """The pool belongs to whoever opened it: nothing to release per client."""


class AsyncPoolTransport(_Caller):
    """Requests as SQL over an `AsyncPool`; `run` returns a coroutine."""

    def __init__(self, pool: AsyncRequestPool, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                 schema: str = "public"):
        super().__init__(claims, headers, schema)
        self.pool = pool

    async def send(self, op: Op) -> Any:
        query, params = compile_op(op, self.schema)
        try:
            async with self.pool.request(self.claims, self.headers, op.method, op.path) as conn:
                return (await (await conn.execute(query, params)).fetchone())[0]
        except psycopg.Error as exc:
            if (error := mapped(exc, self.anonymous)) is None:
                raise
            raise error from exc

    def run(self, build: Build) -> Any:
        return adrive(build, self.send)

    async def close(self) -> None:
        """The pool belongs to whoever opened it: nothing to release per client."""
