"""A psycopg pool that talks to Postgres as PostgREST does: for workers and cron jobs.

Connect as PostgREST's `authenticator` (or any role that may switch to the API
roles) and every request runs in its own transaction with the role, the JWT claims,
the method, path and headers set locally (`supakit.db.request_settings`), so RLS,
`auth.uid()`, `auth.role()` and the audit trail's ip and user agent see exactly what
they would see behind the API. A `supakit.Client` over the pool runs the same
services as one over REST:

    with Pool(os.environ["SUPAKIT_POOL_URL"]) as pool:
        admin = pool.as_service_role()
        purged = admin.projects.empty_trash(older_than=timedelta(days=30))
        alice = pool.as_user(alice_id)
        alice.projects.list(org_id)

Defaults are the seed's: at most 10 connections, idle ones closed after 20 s,
10 s to connect. A caller waits at most `timeout` for a free connection, then gets
`PoolExhausted`; each connection is checked as it is handed out, so one the server
killed while idle is replaced unseen, and one killed mid-request costs that
request one `ConnectionLost` (docs/operating.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from . import tokens
from .db import apply_settings, request_settings
from .pool_errors import ConnectionLost, PoolExhausted, exhausted, is_lost, lost

__all__ = ["ConnectionLost", "Pool", "PoolExhausted"]

if TYPE_CHECKING:
    from .client import Client

MAX_SIZE = 10
MAX_IDLE = 20.0
CONNECT_TIMEOUT = 10
SERVICE_ROLE_CLAIMS = {"iss": tokens.ISSUER, "role": "service_role"}
ANON_CLAIMS = {"iss": tokens.ISSUER, "role": "anon"}


class Pool:
    """`psycopg_pool.ConnectionPool` plus acting as an API caller per transaction."""

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = MAX_SIZE,
        max_idle: float = MAX_IDLE,
        connect_timeout: int = CONNECT_TIMEOUT,
        timeout: float = 30.0,
        open: bool = True,
        **kwargs: Any,
    ):
        self.timeout = timeout
        self.pool = ConnectionPool(
            conninfo,
            check=ConnectionPool.check_connection,
            min_size=min_size,
            max_size=max_size,
            max_idle=max_idle,
            timeout=timeout,
            kwargs={"connect_timeout": connect_timeout, **kwargs},
            open=open,
            name="supakit",
        )

    @contextmanager
    def request(
        self,
        claims: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
    ) -> Iterator[psycopg.Connection]:
        """A connection inside one transaction acting as `claims`, like one PostgREST request."""
        settings = request_settings(claims, headers, method, path)
        try:
            conn = self.pool.getconn()
        except PoolTimeout:
            raise exhausted(self.pool.name, self.pool.max_size, self.timeout) from None
        try:
            with conn.transaction():
                apply_settings(conn, settings)
                yield conn
        except psycopg.OperationalError as exc:
            if is_lost(conn, exc):
                raise lost(exc) from None
            raise
        finally:
            self.pool.putconn(conn)  # a broken connection is closed and replaced, never handed out again

    # -- clients over the pool

    def client(self, claims: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Client:
        """A `supakit.Client` whose every call is a request by `claims` over this pool."""
        from .client import Client
        from .client.transport import PoolTransport

        return Client.over(PoolTransport(self, claims, headers))

    def as_user(self, user_id: str, email: str | None = None, headers: Mapping[str, str] | None = None,
                **user_metadata: Any) -> Client:
        """Act as a signed-in user: the claims Supabase Auth would put in their token."""
        return self.client(tokens.user_claims(str(user_id), email, user_metadata or None), headers)

    def as_service_role(self, headers: Mapping[str, str] | None = None) -> Client:
        """Act as the service role (bypasses RLS), like a request with the service key."""
        return self.client(SERVICE_ROLE_CLAIMS, headers)

    def as_anon(self, headers: Mapping[str, str] | None = None) -> Client:
        return self.client(ANON_CLAIMS, headers)

    # -- lifecycle

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        self.pool.open(wait=wait, timeout=timeout)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
