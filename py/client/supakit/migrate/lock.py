"""One migrate run at a time, and a crashed run never blocks the next.

A session-level advisory lock is released by Postgres when its connection dies,
unlike yoyo's lock row, which a killed process leaves behind. While we hold the
advisory lock, any yoyo lock row is a leftover and is cleared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from .errors import LockTimeout

LOCK_KEY = "supakit.migrate"


@contextmanager
def migration_lock(url: str, timeout: float = 60.0) -> Iterator[psycopg.Connection]:
    """An autocommit connection holding the migration lock for the whole run."""
    conn = psycopg.connect(url, autocommit=True)
    try:
        deadline = time.monotonic() + timeout
        while not conn.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise LockTimeout(
                    f"another migrate run has held the lock for over {timeout:.0f}s "
                    "(it is released when that run ends or its connection drops)"
                )
            time.sleep(0.05)
        yield conn
    finally:
        conn.close()  # releases the advisory lock
