"""One interface for every way of getting a Postgres server."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
import psycopg

from ..dburl import Address
from ..errors import BackendUnavailable, first_line


ADMIN_ROLE = "supabase_admin"  # Supabase's superuser: bootstrap, extensions, databases
MIGRATE_ROLE = "postgres"  # Supabase's migrating role: not a superuser there


@dataclass
class PostgresServer:
    """A running server supakit may create databases and roles in (as a superuser, `user`).

    `migrate_user` is the role migrations, repeatables and seeds run as: on the local
    and container backends `postgres`, made by the bootstrap without superuser (with
    `password`), so a migration that needs a superuser fails here as on deploy. None:
    the server's own user migrates (a server given by URL, an older local stack).
    """

    backend: str
    host: str
    port: int
    user: str
    password: str
    description: str = ""
    migrate_user: str | None = None
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def address(self, dbname: str = "postgres") -> Address:
        return Address(self.host, self.port, self.user, self.password, dbname)

    def url(self, dbname: str = "postgres", user: str | None = None, password: str | None = None, *,
            port: int | None = None, dialect: str = "libpq") -> str:
        """A URL of `dialect` (`supakit.dburl.DIALECTS`; libpq: psycopg, PostgREST)."""
        return self.address(dbname).replace(user=user or None, password=password, port=port).url(dialect)

    def migrate_url(self, dbname: str = "postgres") -> str:
        """The URL migrations and seeds use: as `migrate_user`, else as the server's user."""
        return self.url(dbname, user=self.migrate_user)

    @property
    def migrate_password(self) -> str | None:
        """The password the bootstrap gives `migrate_user`; None when the server's user migrates."""
        return self.password if self.migrate_user and self.migrate_user != self.user else None

    def yoyo_url(self, dbname: str = "postgres") -> str:
        """yoyo reads `postgresql://` as psycopg2; psycopg 3 needs its own scheme."""
        return self.url(dbname, dialect="psycopg")

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), **kwargs)

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_accepting(server: PostgresServer, timeout: float = 30.0) -> None:
    """Poll over TCP until the server answers a query (or give up with the last error)."""
    import time

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with server.connect(connect_timeout=2) as conn:
                conn.execute("select 1")
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.05)
    raise BackendUnavailable(
        f"{server.backend} Postgres on {server.host}:{server.port} did not accept "
        f"connections within {timeout:.0f}s: {first_line(last) if last else 'no answer'}"
    )
