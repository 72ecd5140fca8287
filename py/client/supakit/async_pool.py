"""`supakit.Pool`'s async twin, for workers on asyncio: the same requests over an async psycopg pool.

    async with AsyncPool(url) as pool:
        alice = pool.as_user(alice_id)
        await alice.projects.list(org_id)

Every request is one transaction acting as its caller (role and claims set with
`set_config(..., true)`, so nothing outlives it), a caller waits at most
`timeout` for a connection (then `PoolExhausted`), and a connection the server
killed is replaced: unseen when idle, one `ConnectionLost` when mid-request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from . import tokens
from .db import request_settings
from .pool import ANON_CLAIMS, CONNECT_TIMEOUT, MAX_IDLE, MAX_SIZE, SERVICE_ROLE_CLAIMS
from .pool_errors import exhausted, is_lost, lost

if TYPE_CHECKING:
    from .client import AsyncClient


async def apply_settings(conn: psycopg.AsyncConnection, settings: Mapping[str, str]) -> None:
    """Transaction-local `set_config` calls, in one round trip (as `supakit.db.apply_settings`)."""
    names = list(settings)
    await conn.execute(
        "select " + ", ".join("set_config(%s, %s, true)" for _ in names),
        [item for name in names for item in (name, settings[name])],
    )


class AsyncPool:
    """`psycopg_pool.AsyncConnectionPool` plus acting as an API caller per transaction."""

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = MAX_SIZE,
        max_idle: float = MAX_IDLE,
        connect_timeout: int = CONNECT_TIMEOUT,
        timeout: float = 30.0,
        **kwargs: Any,
    ):
        self.timeout = timeout
        self.pool = AsyncConnectionPool(
            conninfo,
            check=AsyncConnectionPool.check_connection,
            min_size=min_size,
            max_size=max_size,
            max_idle=max_idle,
            timeout=timeout,
            kwargs={"connect_timeout": connect_timeout, **kwargs},
            open=False,  # an async pool opens inside a running loop: `await open()` or `async with`
            name="supakit-async",
        )

    @asynccontextmanager
    async def request(
        self,
        claims: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
    ) -> AsyncIterator[psycopg.AsyncConnection]:
        """A connection inside one transaction acting as `claims`, like one PostgREST request."""
        settings = request_settings(claims, headers, method, path)
        try:
            conn = await self.pool.getconn()
        except PoolTimeout:
            raise exhausted(self.pool.name, self.pool.max_size, self.timeout) from None
        try:
            async with conn.transaction():
                await apply_settings(conn, settings)
                yield conn
        except psycopg.OperationalError as exc:
            if is_lost(conn, exc):
                raise lost(exc) from None
            raise
        finally:
            await self.pool.putconn(conn)

    # -- clients over the pool

    def client(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> AsyncClient:
        """A `supakit.AsyncClient` whose every call is a request by `claims` over this pool."""
        from .client import AsyncClient
        from .client.async_pool_transport import AsyncPoolTransport

        return AsyncClient.over(AsyncPoolTransport(self, claims, headers))

    def as_user(self, user_id: str, email: str | None = None, headers: Mapping[str, str] | None = None,
                **user_metadata: Any) -> AsyncClient:
        return self.client(tokens.user_claims(str(user_id), email, user_metadata or None), headers)

    def as_service_role(self, headers: Mapping[str, str] | None = None) -> AsyncClient:
        return self.client(SERVICE_ROLE_CLAIMS, headers)

    def as_anon(self, headers: Mapping[str, str] | None = None) -> AsyncClient:
        return self.client(ANON_CLAIMS, headers)

    # -- lifecycle

    async def open(self, wait: bool = True, timeout: float = 30.0) -> None:
        await self.pool.open(wait=wait, timeout=timeout)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> AsyncPool:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
