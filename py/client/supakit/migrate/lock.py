"""One migrate run at a time, and a crashed run never blocks the next.

A session-level advisory lock is released by Postgres when its connection dies,
unlike yoyo's lock row, which a killed process leaves behind. While we hold the
advisory lock, any yoyo lock row is a leftover and is cleared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from .errors import LockTimeout

LOCK_KEY = "supakit.migrate"


@contextmanager
def migration_lock(
    url: str, timeout: float = 60.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[psycopg.Connection]:
    """An autocommit connection holding the migration lock for the whole run; `on_wait` hears once that we wait."""
    conn = psycopg.connect(url, autocommit=True)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while not conn.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:
            if not told and on_wait is not None:
                on_wait(f"waiting for the migration lock: another migrate run holds it{_holder(conn)} "
                        f"(waiting up to {timeout:.0f}s)")
                told = True
            if time.monotonic() > deadline:
                raise LockTimeout(
                    f"another migrate run has held the lock for over {timeout:.0f}s "
                    "(it is released when that run ends or its connection drops)"
                )
            time.sleep(0.05)
        yield conn
    finally:
        conn.close()  # releases the advisory lock


def _holder(conn: psycopg.Connection) -> str:
    """Who holds the lock, for the waiting message: its backend pid and application."""
    row = conn.execute(
        "select a.pid, a.application_name from pg_catalog.pg_locks l "
        "join pg_catalog.pg_stat_activity a using (pid) "
        "where l.locktype = 'advisory' and l.granted and l.database = "
        "(select oid from pg_catalog.pg_database where datname = current_database()) "
        "and l.objid = (hashtext(%s)::bigint & 4294967295)::oid limit 1",
        (LOCK_KEY,),
    ).fetchone()
    if row is None:
        return ""
    return f" (backend pid {row[0]}{', ' + row[1] if row[1] else ''})"
