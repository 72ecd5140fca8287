"""What a pool caller can see go wrong, as supakit errors naming the cause in one line.

Shared by `supakit.Pool` and `supakit.AsyncPool`: both map psycopg_pool's
`PoolTimeout` and a connection the server closed mid-request the same way.
"""

from __future__ import annotations

import psycopg

from .errors import SupakitError, first_line


class PoolExhausted(SupakitError):
    """Every connection stayed busy for longer than the pool's `timeout`: nobody waits forever."""


class ConnectionLost(SupakitError):
    """The server closed the connection during a request; the pool replaces it, the request may be retried."""


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
