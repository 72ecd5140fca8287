"""An existing server given by URL (a CI service, a shared dev database)."""

from __future__ import annotations

import psycopg

from ..dburl import Address
from ..errors import BackendUnavailable, ConfigError, first_line
from .base import PostgresServer


def connect_url(url: str) -> PostgresServer:
    try:
        address = Address.parse(url)
    except ValueError as exc:
        raise ConfigError(f"SUPAKIT_TEST_DATABASE_URL must be postgresql://user:password@host:port/db, got {url!r}") from exc
    server = PostgresServer(
        backend="url",
        host=address.host,
        port=address.port,
        user=address.user,
        password=address.password,
        description=f"{address.host}:{address.port}",
    )
    try:
        with server.connect(connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        first = first_line(exc)
        raise BackendUnavailable(f"cannot reach SUPAKIT_TEST_DATABASE_URL {server.description}: {first}") from exc
    return server
