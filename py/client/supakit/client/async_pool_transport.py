"""`PoolTransport`'s async twin: each `Op` as SQL over an `AsyncPool`, acting as the caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import psycopg

from .errors import from_postgres
from .ops import Op, adrive
from .sql import compile_op

if TYPE_CHECKING:
    from ..async_pool import AsyncPool


class AsyncPoolTransport:
    """Requests as SQL over an `AsyncPool`; `run` returns a coroutine."""

    def __init__(self, pool: AsyncPool, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                 schema: str = "public"):
        self.pool = pool
        self.claims = dict(claims)
        self.headers = dict(headers or {})
        self.schema = schema
        sub = self.claims.get("sub")
        self.user_id = str(sub) if sub and self.claims.get("role") == "authenticated" else None

    async def send(self, op: Op) -> Any:
        query, params = compile_op(op, self.schema)
        try:
            async with self.pool.request(self.claims, self.headers, op.method, op.path) as conn:
                return (await (await conn.execute(query, params)).fetchone())[0]
        except psycopg.Error as exc:
            if exc.sqlstate is None:  # not the server's answer: a connection problem
                raise
            raise from_postgres(exc) from None

    def run(self, build: Any) -> Any:
        return adrive(build, self.send)

    async def close(self) -> None:
        """The pool belongs to whoever opened it: nothing to release per client."""
