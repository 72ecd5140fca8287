"""The audit trail (tests/audit/): the migration from the audit table of 0006-0009.

Here, not in tests/audit/: these tests find the project from this file's place.
"""

from __future__ import annotations

from pathlib import Path

import pytest


# --- the migration from the table of 0006-0009 ----------------------------------------------


def test_the_migration_keeps_every_existing_entry(supakit_server):
    """Rolled back to 0009's table, filled with 25,000 entries over three years (more than
    one batch of 0013's copy), migrated again: every entry is there, in its month's
    partition, addresses as inet (an unparsable one null), and the API works over it."""
    from supakit.migrate import migrate, rollback
    from supakit.project import Project
    from supakit.testing import databases

    project = Project(Path(__file__).resolve().parent.parent)
    name = databases.create_migrated(supakit_server, databases.unique_name("supakit_audit_mig"), project)
    try:
        url = supakit_server.url(name)
        rollback(url, project, to="0009_audit_and_trash_indexes")
        with supakit_server.connect(name, autocommit=True) as conn:
            assert conn.execute("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = "
                                "'public.audit_logs'::regclass and attname = 'ip_address'").fetchone()[0] == "text"
            org = conn.execute("insert into public.organizations (name, slug) values ('Old', 'old-org') "
                               "returning id").fetchone()[0]
            conn.execute("set session_replication_role = replica")  # the rows only: no trigger of today's SQL
            conn.execute(
                "insert into public.audit_logs (organization_id, action, entity_type, entity_id, new_values, "
                "ip_address, user_agent, created_at) "
                "select %s, 'create', 'projects', g::text, jsonb_build_object('n', g), "
                "case when g %% 2 = 0 then '198.51.100.' || (g %% 250) else 'unknown' end, 'old/1.0', "
                "timestamptz '2023-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 25000) g", (org,))
            before = conn.execute("select count(*), min(created_at), max(created_at) from public.audit_logs").fetchone()
        migrate(url, project)
        with supakit_server.connect(name, autocommit=True) as conn:
            after = conn.execute("select count(*), min(created_at), max(created_at) from public.audit_logs").fetchone()
            assert after == before
            assert conn.execute("select to_regclass('private.audit_logs_0009')").fetchone()[0] is None
            assert conn.execute("select count(*) from private.audit_logs_default").fetchone()[0] == 0
            assert conn.execute("select count(*) from private.audit_logs_y2023m01").fetchone()[0] == 31 * 24 - 1
            ips = dict(conn.execute("select entity_id, host(ip_address) from public.audit_logs "
                                    "where entity_id in ('2', '3')").fetchall())
            assert ips == {"2": "198.51.100.2", "3": None}
            assert conn.execute("select count(*) from public.audit_logs where organization_id = %s",
                                (org,)).fetchone()[0] == 25000
            # Functions and policies over the new table are back (re-applied repeatables).
            assert conn.execute("select count(*) from pg_policy where polrelid = 'public.audit_logs'::regclass"
                                ).fetchone()[0] == 1
            assert conn.execute("select to_regprocedure('public.log_event(text, uuid, text, text, jsonb)') is not null"
                                ).fetchone()[0]
            assert conn.execute("select to_regprocedure('public.list_audit_logs(uuid, text, uuid, timestamptz, uuid, "
                                "integer, integer)') is not null").fetchone()[0]
    finally:
        databases.drop(supakit_server, name)


def test_where_pg_cron_exists_the_upkeep_is_scheduled(supakit_server):
    """As on Supabase: a database with pg_cron gets the daily upkeep job when migrated (on
    its own throwaway cluster, pg_cron being a preloaded library)."""
    from supakit.stack import cron
    from supakit.stack.bootstrap import apply_bootstrap
    from supakit.migrate import migrate
    from supakit.project import Project
    from supakit.providers.local import TEST_SETTINGS, find_bindir, start_local

    if not (find_bindir().parent / "lib" / "pg_cron.so").exists():
        pytest.skip("pg_cron is not installed (Debian: postgresql-15-cron)")
    project = Project(Path(__file__).resolve().parent.parent)
    server = start_local({**TEST_SETTINGS, "shared_preload_libraries": "pg_cron", "cron.database_name": "cron_db"})
    try:
        with server.connect(autocommit=True) as admin:
            admin.execute("create database cron_db")
        with server.connect("cron_db", autocommit=True) as conn:
            apply_bootstrap(conn, migrate_password=server.migrate_password)
            assert cron.enable(conn)  # as supabase_admin; the migrations run as postgres (no superuser)
            migrate(server.migrate_url("cron_db"), project)
            jobs = conn.execute(
                "select schedule, command, username from cron.job where jobname = 'supakit-audit-logs'").fetchall()
            assert jobs == [("7 0 * * *", "select private.maintain_audit_logs()", "postgres")]
            assert conn.execute(jobs[0][1]).fetchone()[0] == 0  # what the job runs works (no retention set)
    finally:
        server.stop()
