"""A psycopg pool that talks to Postgres as PostgREST does: for workers and cron jobs.

Connect as PostgREST's `authenticator` (or any role that may switch to the API
roles) and every request runs in its own transaction with the role, the JWT claims,
the method, path and headers set locally (`supakit.db.request_settings`), so RLS,
`auth.uid()`, `auth.role()` and the audit trail's ip and user agent see exactly what
they would see behind the API. A `supakit.Client` over the pool runs the same
services as one over REST (through a `PoolTransport`, which uses the pool):

    with Pool(os.environ["SUPAKIT_POOL_URL"]) as pool:
        admin = pool.as_service_role()
        purged = admin.projects.empty_trash(older_than=timedelta(days=30))
        alice = pool.as_user(alice_id)
        alice.projects.list(org_id)

    async with AsyncPool(url) as pool:          # the same on asyncio
        await pool.as_user(alice_id).projects.list(org_id)

Defaults are the seed's: at most 10 connections, idle ones closed after 20 s,
10 s to connect. A caller waits at most `timeout` for a free connection, then gets
`PoolExhausted`; each connection is checked as it is handed out, so one the server
killed while idle is replaced unseen, and one killed mid-request costs that
request one `ConnectionLost` (docs/operating.md).

`Pool` and `AsyncPool` are twins over `_PoolCommon`, psycopg's own pattern: one
place for the defaults, the pool's options, the error mapping and the callers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from .. import tokens
from ..db import apply_settings, apply_settings_async, request_settings
from ..errors import first_line
from .clients import AsyncClient, Client
from .errors import ConnectionLost, PoolExhausted
from .transport import AsyncPoolTransport, PoolTransport

__all__ = ["AsyncPool", "ConnectionLost", "Pool", "PoolExhausted"]

MAX_SIZE = 10
MAX_IDLE = 20.0
CONNECT_TIMEOUT = 10
TIMEOUT = 30.0
SERVICE_ROLE_CLAIMS = {"iss": tokens.ISSUER, "role": "service_role"}
ANON_CLAIMS = {"iss": tokens.ISSUER, "role": "anon"}

C = TypeVar("C", Client, AsyncClient)


def exhausted(name: str, max_size: int, timeout: float) -> PoolExhausted:
    return PoolExhausted(
        f"pool {name!r}: no connection free within {timeout:g}s (all {max_size} busy); "
        "raise max_size or timeout, or hold connections for shorter"
    )


def lost(exc: psycopg.Error) -> ConnectionLost:
    return ConnectionLost(
        f"the database closed the connection mid-request ({first_line(exc)}); "
        "its transaction was not committed and the pool opens a new connection: retry the request"
    )


def is_lost(conn: psycopg.Connection | psycopg.AsyncConnection | None, exc: BaseException) -> bool:
    """A broken connection, not an error the server answered on a healthy one."""
    return isinstance(exc, psycopg.OperationalError) and (conn is None or conn.broken or conn.closed)


class _PoolCommon(Generic[C]):
    """What both twins share: the options they hand psycopg_pool, and who they can act as."""

    def __init__(self, *, min_size: int, max_size: int, max_idle: float, connect_timeout: int, timeout: float,
                 name: str, kwargs: dict[str, Any]):
        self.timeout = timeout
        self.options = {"min_size": min_size, "max_size": max_size, "max_idle": max_idle, "timeout": timeout,
                        "kwargs": {"connect_timeout": connect_timeout, **kwargs}, "name": name}

    def _exhausted(self) -> PoolExhausted:
        return exhausted(self.pool.name, self.pool.max_size, self.timeout)

    def client(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> C:
        raise NotImplementedError

    def as_user(self, user_id: str, email: str | None = None, headers: Mapping[str, str] | None = None,
                **user_metadata: Any) -> C:
        """Act as a signed-in user: the claims Supabase Auth would put in their token."""
        return self.client(tokens.user_claims(str(user_id), email, user_metadata or None), headers)

    def as_service_role(self, headers: Mapping[str, str] | None = None) -> C:
        """Act as the service role (bypasses RLS), like a request with the service key."""
        return self.client(SERVICE_ROLE_CLAIMS, headers)

    def as_anon(self, headers: Mapping[str, str] | None = None) -> C:
        """Act as a caller with the anon key alone: no user signed in."""
        return self.client(ANON_CLAIMS, headers)


class Pool(_PoolCommon[Client]):
    """`psycopg_pool.ConnectionPool` plus acting as an API caller per transaction."""

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = MAX_SIZE, max_idle: float = MAX_IDLE,
                 connect_timeout: int = CONNECT_TIMEOUT, timeout: float = TIMEOUT, open: bool = True, **kwargs: Any):
        super().__init__(min_size=min_size, max_size=max_size, max_idle=max_idle, connect_timeout=connect_timeout,
                         timeout=timeout, name="supakit", kwargs=kwargs)
        self.pool = ConnectionPool(conninfo, check=ConnectionPool.check_connection, open=open, **self.options)

    @contextmanager
    def request(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None, method: str = "POST",
                path: str = "/") -> Iterator[psycopg.Connection]:
        """A connection inside one transaction acting as `claims`, like one PostgREST request."""
        settings = request_settings(claims, headers, method, path)
        try:
            conn = self.pool.getconn()
        except PoolTimeout as exc:
            raise self._exhausted() from exc
        try:
            with conn.transaction():
                apply_settings(conn, settings)
                yield conn
        except psycopg.OperationalError as exc:
            if is_lost(conn, exc):
                raise lost(exc) from exc
            raise
        finally:
            self.pool.putconn(conn)  # a broken connection is closed and replaced, never handed out again

    def client(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Client:
        """A `supakit.Client` whose every call is a request by `claims` over this pool."""
        return Client(transport=PoolTransport(self, claims, headers))

    def open(self, wait: bool = False, timeout: float = TIMEOUT) -> None:
        self.pool.open(wait=wait, timeout=timeout)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPool(_PoolCommon[AsyncClient]):
    """`psycopg_pool.AsyncConnectionPool` plus acting as an API caller per transaction."""

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = MAX_SIZE, max_idle: float = MAX_IDLE,
                 connect_timeout: int = CONNECT_TIMEOUT, timeout: float = TIMEOUT, **kwargs: Any):
        super().__init__(min_size=min_size, max_size=max_size, max_idle=max_idle, connect_timeout=connect_timeout,
                         timeout=timeout, name="supakit-async", kwargs=kwargs)
        # An async pool opens inside a running loop: `await open()` or `async with`.
        self.pool = AsyncConnectionPool(conninfo, check=AsyncConnectionPool.check_connection, open=False,
                                        **self.options)

    @asynccontextmanager
    async def request(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                      method: str = "POST", path: str = "/") -> AsyncIterator[psycopg.AsyncConnection]:
        """A connection inside one transaction acting as `claims`, like one PostgREST request."""
        settings = request_settings(claims, headers, method, path)
        try:
            conn = await self.pool.getconn()
        except PoolTimeout as exc:
            raise self._exhausted() from exc
        try:
            async with conn.transaction():
                await apply_settings_async(conn, settings)
                yield conn
        except psycopg.OperationalError as exc:
            if is_lost(conn, exc):
                raise lost(exc) from exc
            raise
        finally:
            await self.pool.putconn(conn)

    def client(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> AsyncClient:
        """A `supakit.AsyncClient` whose every call is a request by `claims` over this pool."""
        return AsyncClient(transport=AsyncPoolTransport(self, claims, headers))

    async def open(self, wait: bool = True, timeout: float = TIMEOUT) -> None:
        await self.pool.open(wait=wait, timeout=timeout)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> AsyncPool:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
