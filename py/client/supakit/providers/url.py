"""An existing server given by URL (a CI service, a shared dev database)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import psycopg

from ..errors import BackendUnavailable, ConfigError, first_line
from .base import PostgresServer


def connect_url(url: str) -> PostgresServer:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ConfigError(f"SUPAKIT_TEST_DATABASE_URL must be postgresql://user:password@host:port/db, got {url!r}")
    server = PostgresServer(
        backend="url",
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        description=f"{parts.hostname}:{parts.port or 5432}",
    )
    try:
        with server.connect(connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        first = first_line(exc)
        raise BackendUnavailable(f"cannot reach SUPAKIT_TEST_DATABASE_URL {server.description}: {first}") from None
    return server
