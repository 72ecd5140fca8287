"""Scheduled jobs: pg_cron in the local stack, as Supabase ships it, and what `supakit status` shows.

pg_cron must be preloaded by the server and lives in one database
(`cron.database_name`); the stack preloads it when the Debian package
`postgresql-15-cron` is installed and enables it in its `postgres` database before
migrating, so migrations that schedule jobs find it (sql/migrations/0015_schedule_empty_trash.sql).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..providers.local import find_bindir


def available() -> bool:
    """Whether the local Postgres has pg_cron's library (Debian: postgresql-15-cron)."""
    try:
        return (Path(find_bindir()).parent / "lib" / "pg_cron.so").exists()
    except Exception:
        return False


def server_settings(dbname: str) -> dict[str, str]:
    """What the server needs to run pg_cron's scheduler for `dbname`."""
    return {"shared_preload_libraries": "pg_cron", "cron.database_name": dbname} if available() else {}


def enable(conn: psycopg.Connection) -> bool:
    """Create the extension where the server preloads it; False where it cannot run."""
    preloaded = conn.execute("select current_setting('shared_preload_libraries', true)").fetchone()[0] or ""
    if "pg_cron" not in preloaded:
        return False
    conn.execute("create extension if not exists pg_cron with schema pg_catalog")  # where Supabase puts it
    grant_to_migrate_role(conn)
    return True


def grant_to_migrate_role(conn: psycopg.Connection) -> None:
    """What Supabase grants `postgres` on pg_cron, which `supabase_admin` creates: the
    `cron` schema and its tables, so migrations (run as `postgres`) may call
    `cron.schedule` and read their jobs. Nothing to do where `postgres` is the superuser."""
    migrate_role = conn.execute(
        "select not rolsuper from pg_catalog.pg_roles where rolname = 'postgres'"
    ).fetchone()
    if not (migrate_role and migrate_role[0]):
        return
    conn.execute("grant usage on schema cron to postgres with grant option")
    conn.execute("grant all on all tables in schema cron to postgres with grant option")
    conn.execute("grant all on all sequences in schema cron to postgres with grant option")
    conn.execute("grant all on all functions in schema cron to postgres with grant option")


def jobs(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every job with its last run (status, start, end, message); [] without pg_cron."""
    present = conn.execute("select exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')")
    if not present.fetchone()[0]:
        return []
    cur = conn.cursor(row_factory=dict_row)
    cur.execute(
        """
        select j.jobid, j.jobname, j.schedule, j.command, j.active,
               r.status as last_status, r.start_time as last_start, r.end_time as last_end,
               r.return_message as last_message
        from cron.job as j
        left join lateral (
          select d.status, d.start_time, d.end_time, d.return_message
          from cron.job_run_details as d where d.jobid = j.jobid
          order by d.start_time desc nulls last limit 1
        ) as r on true
        order by j.jobid
        """)
    rows = cur.fetchall()
    for row in rows:
        for key in ("last_start", "last_end"):
            if row[key] is not None:
                row[key] = row[key].isoformat()
    return rows
